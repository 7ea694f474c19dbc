/**
 * Contact discovery on the switch: the PRF evaluations, lookups and registrations of {@code DiscoveryRequest}s,
 * run by a small pool of threads off the event loops and the journal, rate limited per account and per device;
 * the registrations kept in the store. The cryptography and the directory are in {@code io.xin.social.discovery}.
 */
package io.xin.core.discovery;
