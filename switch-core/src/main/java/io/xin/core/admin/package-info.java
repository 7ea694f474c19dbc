/**
 * The admin HTTP port, on its own event loop: health ({@code /healthz}), readiness for load balancers
 * ({@code /readyz}), Prometheus metrics ({@code /metrics}, read from the switch's counters at scrape
 * time) and log levels at run time ({@code /loglevel}).
 */
package io.xin.core.admin;
