/**
 * The {@code ./xin} command line: {@link io.xin.cli.XinCommand}.
 */
package io.xin.cli;
