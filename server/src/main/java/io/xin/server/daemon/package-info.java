/**
 * Command-line entry points of the switch: {@code server} and {@code token}.
 */
package io.xin.server.daemon;
