/**
 * Small pieces the switch's worker pools share (their stop).
 */
package io.xin.core.concurrent;
