/**
 * Switch-wide status flags and counters, read by tests and logs.
 */
package io.xin.core.status;
