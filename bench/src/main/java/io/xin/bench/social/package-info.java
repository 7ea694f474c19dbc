/**
 * Benchmarks of contact discovery (the social module's {@code io.xin.social.discovery}): the PRF on both sides,
 * the lookup of a book in a directory of ten million registrations, and the bytes a book costs on the wire.
 */
package io.xin.bench.social;
