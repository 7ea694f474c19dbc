/**
 * Switch-wide status flags and counters, read by tests, logs and the admin endpoint.
 */
package io.xin.core.status;
