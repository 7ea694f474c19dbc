package io.xin.loadgen;

import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.ChatRun;
import io.xin.loadgen.scenario.Ledger;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a chat run's summary accounts for a target that went away (GoAway, lost connections), from counts made
 * here.
 */
class ChatSummaryTest
{
    private static final String DRAINING = "GoAway: server draining";

    @Test
    void shouldReportATargetThatWentAwayAndStayedAwayWithoutCallingAckedMessagesLost()
    {
        try (Measurements measurements = new Measurements("test", () -> ""))
        {
            final ChatRun.Outcome outcome = outcome(1_000, 600, 3, 30);
            measurements.goaways.add(30);
            measurements.disconnects.add(30);
            measurements.targetWentAway(measurements.startNs() + 2_500_000_000L, DRAINING);
            measurements.targetWentAway(measurements.startNs() + 2_900_000_000L, "connection lost");
            measurements.sendFailed("target went away (" + DRAINING + ")", 397);
            final Summary summary = new Summary();

            final int exit = ChatCommand.summarize(new ChatRun.Settings(), outcome, measurements, summary);

            assertEquals(ScenarioCommand.EXIT_TARGET_WENT_AWAY, exit);
            assertEquals(0L, summary.getLong("lost"), "not verifiable while sessions are away");
            assertEquals(3L, summary.getLong("acked_undelivered_away"));
            assertEquals(397L, summary.getLong("failed_sends"));
            assertEquals(Map.of("target went away (" + DRAINING + ")", 397L), summary.get("failed_send_reasons"));
            assertEquals(30L, summary.getLong("goaways"));
            assertEquals(30L, summary.getLong("disconnects"));
            assertEquals(30L, summary.getLong("sessions_away_at_end"));
            assertEquals(2.5, (Double)summary.get("target_went_away_at_s"), 1e-9, "the first time counts");
            assertEquals(DRAINING, summary.get("target_went_away"));
            final String result = (String)summary.get("result");
            assertTrue(result.startsWith("the target went away at t=2.50 s (" + DRAINING), result);
            assertTrue(result.contains("397 send(s) failed") && result.contains("3 acknowledged"), result);
        }
    }

    @Test
    void shouldCallAckedUndeliveredMessagesLostWhenEverySessionCameBack()
    {
        try (Measurements measurements = new Measurements("test", () -> ""))
        {
            measurements.disconnects.add(5);
            measurements.targetWentAway(measurements.startNs() + 1_000_000_000L, "connection lost");
            final Summary summary = new Summary();

            final int exit = ChatCommand.summarize(new ChatRun.Settings(), outcome(1_000, 1_000, 2, 0), measurements,
                summary);

            assertEquals(ScenarioCommand.EXIT_BROKEN_PROMISE, exit);
            assertEquals(2L, summary.getLong("lost"));
            assertEquals(0L, summary.getLong("acked_undelivered_away"));
            assertTrue(((String)summary.get("result")).contains("went away at t=1.00 s"), summary.get("result")::toString);
        }
    }

    @Test
    void shouldSayOkWhenNothingWentAway()
    {
        try (Measurements measurements = new Measurements("test", () -> ""))
        {
            final Summary summary = new Summary();

            assertEquals(0, ChatCommand.summarize(new ChatRun.Settings(), outcome(100, 100, 0, 0), measurements, summary));
            assertEquals("ok", summary.get("result"));
            assertNull(summary.get("target_went_away_at_s"));
            assertEquals(0L, summary.getLong("goaways"));
            assertEquals(Map.of(), summary.get("failed_send_reasons"));
        }
    }

    @Test
    void shouldKeepABrokenPromiseTheWorstExit()
    {
        assertEquals(ScenarioCommand.EXIT_BROKEN_PROMISE,
            ScenarioCommand.worse(ScenarioCommand.EXIT_BROKEN_PROMISE, ScenarioCommand.EXIT_TARGET_WENT_AWAY));
        assertEquals(ScenarioCommand.EXIT_BROKEN_PROMISE,
            ScenarioCommand.worse(ScenarioCommand.EXIT_TARGET_WENT_AWAY, ScenarioCommand.EXIT_BROKEN_PROMISE));
        assertEquals(ScenarioCommand.EXIT_TARGET_WENT_AWAY, ScenarioCommand.worse(0, ScenarioCommand.EXIT_TARGET_WENT_AWAY));
        assertEquals(0, ScenarioCommand.worse(0, 0));
    }

    private static ChatRun.Outcome outcome(final long sent, final long acked, final long lost, final int away)
    {
        final ChatRun.Outcome outcome = new ChatRun.Outcome();
        outcome.tally = new Ledger.Tally();
        outcome.tally.sent = sent;
        outcome.tally.acked = acked;
        outcome.tally.delivered = acked - lost;
        outcome.tally.lost = lost;
        outcome.tally.unackedUndelivered = sent - acked;
        outcome.windowS = 5;
        outcome.sessionsAwayAtEnd = away;
        return outcome;
    }
}
