/*
 * hexdigit.h - the value of one hexadecimal digit, shared by the text
 * parsers of every layer (SOCKS5 literals, tor control strings, ilpctl's
 * hex input). Pure; no state. Memory: none.
 */
#ifndef ILP_HEXDIGIT_H
#define ILP_HEXDIGIT_H

/* 0..15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for any other byte. */
static inline int ilp_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* ILP_HEXDIGIT_H */
