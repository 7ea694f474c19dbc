/**
 * The admin HTTP port, on its own event loop: health ({@code /healthz}), readiness for load balancers
 * ({@code /readyz}), Prometheus metrics ({@code /metrics}, read from the switch's counters at scrape
 * time, RocksDB's figures included), log levels at run time ({@code /loglevel}) and online backups
 * ({@code /backup}, a RocksDB checkpoint written on a thread of its own).
 */
package io.xin.server.admin;
