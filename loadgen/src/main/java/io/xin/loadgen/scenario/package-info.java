/**
 * The load generator's scenarios ({@code chat}, {@code idle}, {@code offline}, {@code storm},
 * {@code ramp}) and what they share: a {@link io.xin.loadgen.scenario.Fleet} of real SDK sessions on
 * one event loop group, and a {@link io.xin.loadgen.scenario.Ledger} that checks every message's fate.
 */
package io.xin.loadgen.scenario;
