/* certs.h - make test certificates with openssl(1) in a temporary dir.
 * mkcerts(dir) creates dir/{ec,rsa}.{crt,key} (self-signed, CN=test),
 * dir/rsa1024.{crt,key} and dir/ec2.key (a key matching no cert). */
#ifndef CERTS_H
#define CERTS_H

#include <stdio.h>
#include <stdlib.h>

static int
mkcerts(const char *dir)
{
    char cmd[2048];

    snprintf(cmd, sizeof cmd,
        "cd %s && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
        " -nodes -keyout ec.key -out ec.crt -days 30 -subj /CN=test "
        " 2>/dev/null && "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key "
        " -out rsa.crt -days 30 -subj /CN=test 2>/dev/null && "
        "openssl req -x509 -newkey rsa:1024 -nodes -keyout rsa1024.key "
        " -out rsa1024.crt -days 30 -subj /CN=weak 2>/dev/null && "
        "openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 "
        " -out ec2.key 2>/dev/null",
        dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
