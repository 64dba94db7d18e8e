# 0910-manpages.sh - every program's man page matches its code: each
# option the code parses (its getopt string; sendmail's own switch;
# facteur's --long options) is documented as Fl in the page, each option
# of the page's SYNOPSIS exists in the code, and each environment
# variable the program reads itself (getenv, conf_env_num) is named in
# the page.  A new option or variable without its documentation fails
# here.
. "$(dirname "$0")/../lib.sh"
# Options facteur hands to useradd (init.c), not its own.
useradd_opts="--home-dir --no-create-home --shell --system --user-group"

# chars STRING: one character a line, sorted.
chars() { printf '%s' "$1" | tr -d ':+' | fold -w1 | sort -u; }
# synopsis PAGE: the SYNOPSIS section.
synopsis() { sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$1"; }

for d in "$TOP"/cmd/*/; do
    p=$(basename "$d")
    page=$TOP/doc/$p.8
    if [ ! -f "$page" ]; then
        fail "$p: no man page doc/$p.8"
        continue
    fi
    if [ "$p" = sendmail ]; then
        code=$(grep -ho "case '[A-Za-z]'" "$d"*.c | cut -d"'" -f2 | sort -u)
    else
        code=$(chars "$(grep -ho 'getopt(argc, argv, "[^"]*")' "$d"*.c |
            sed 's/.*"\(.*\)")/\1/' | tr -d '\n')")
    fi
    undocumented=""
    # documented: "Fl o", or a form of it ("Fl bm" for -b)
    for o in $code; do
        grep -q "Fl $o" "$page" || undocumented="$undocumented -$o"
    done
    phantom=""
    for o in $(synopsis "$page" | grep -o 'Fl [A-Za-z]\b' | cut -d' ' -f2 | sort -u); do
        printf '%s\n' "$code" | grep -qx "$o" || phantom="$phantom -$o"
    done
    # "--" alone ends the options; it is no option of its own
    longcode=$(grep -oh '"--[a-z0-9-][a-z0-9-]*"' "$d"*.c | tr -d '"' | sort -u)
    for o in $longcode; do
        case " $useradd_opts " in *" $o "*) continue ;; esac
        grep -q "Fl -${o#--}\b" "$page" || undocumented="$undocumented $o"
    done
    for o in $(synopsis "$page" | grep -o 'Fl -[a-z0-9-]*' | cut -d' ' -f2 | sort -u); do
        printf '%s\n' "$longcode" | grep -qx -- "-$o" || phantom="$phantom -$o"
    done
    envmiss=""
    for v in $(grep -ho 'getenv("[A-Z_0-9]*")\|conf_env_num("[A-Z_0-9]*"' "$d"*.c |
        grep -o '"[A-Z_0-9]*"' | tr -d '"' | sort -u); do
        grep -q "$v" "$page" || envmiss="$envmiss $v"
    done
    check "$p: options in code and page agree (undocumented:${undocumented:- none}; in the synopsis only:${phantom:- none}); environment named (missing:${envmiss:- none})" \
        test -z "$undocumented$phantom$envmiss"
done
finish
