/* limits.h - named limits shared by more than one program.
 *
 * Every input facteur reads has a cap, named here or at the top of the one
 * program that uses it, and checked before anything is stored.
 */
#ifndef MAIL_LIMITS_H
#define MAIL_LIMITS_H

/* One log line, including the program name, level and session id. */
#define LOG_LINE_MAX 1024

/* A DNS name in text form, without the trailing dot (RFC 1035 2.3.4). */
#define DNSNAME_MAX 253
#define DNSLABEL_MAX 63

/* The TLS facts a wrapper hands an application (UCSPI-TLS "Y" answer or
 * the implicit-TLS report): NAME=value\0 ... \0. */
#define TLSFACTS_MAX 1024
#define TLSFACTS_NAME_MAX 64
#define TLSFACTS_VALUE_MAX 256
#define TLSFACTS_COUNT_MAX 16

/* Certificate directories under tls/ (default + one per SNI name). */
#define TLS_NAMES_MAX 64
/* A PEM file: a full chain of a few certificates fits in a fraction. */
#define TLS_PEMFILE_MAX 65536
/* Certificates in one chain. */
#define TLS_CHAIN_MAX 8
/* One DER certificate. */
#define TLS_CERT_MAX 16384

#endif
