package io.xin.loadgen.scenario;

import io.xin.core.XinSwitch;
import io.xin.loadgen.relay.RelayServer;
import io.xin.loadgen.report.Measurements;
import io.xin.storage.FsyncPolicy;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A short, bounded chat run with the real SDK against an in-process switch (real RocksDB in a temp
 * folder, loopback) and against the bare relay.
 */
@Timeout(60)
@Tag("slow")
class ChatScenarioIT
{
    private static final String SECRET = "loadgen-integration-test-secret-of-32-bytes";
    private static final int USERS = 40;

    @TempDir
    Path dataDir;

    @Test
    void shouldDeliverEveryAckedMessageExactlyOnceUnderOpenLoopLoad() throws Exception
    {
        try (XinSwitch xin = XinSwitch.launch(new XinSwitch.Context()
            .bindHost("127.0.0.1")
            .port(0)
            .dataDir(dataDir)
            .jwtSecret(SECRET)
            .fsyncPolicy(FsyncPolicy.BATCH)
            .ioThreads(2)
            .strangersAllowedByDefault(true));
            Fleet fleet = new Fleet(target(xin.port()), USERS, 2))
        {
            assertEquals(0, fleet.connect(0, USERS, 20_000));
            final ChatRun.Settings settings = settings(true);
            final ChatRun.Outcome outcome;
            final Measurements measurements = new Measurements("chat", () -> "");
            try (measurements)
            {
                outcome = new ChatRun(fleet, settings, measurements).run();
            }

            final Ledger.Tally tally = outcome.tally;
            assertEquals(1_200, tally.sent, "300/s for 4 s, every intended send made");
            assertTrue(tally.acked > 0 && tally.sent >= tally.acked, () -> "sent " + tally.sent + ", acked " + tally.acked);
            assertEquals(0, tally.lost, "acked messages never delivered");
            assertEquals(0, tally.duplicates, "messages delivered twice");
            assertEquals(tally.acked, tally.delivered, "1:1: every acked message delivered once");
            assertEquals(0, measurements.gaps.sum(), "per-pair order broken");
            assertEquals(tally.acked, measurements.ackLatencyUs().getTotalCount());
            assertEquals(tally.delivered, measurements.deliverLatencyUs().getTotalCount());
            assertEquals(tally.acked, xin.counters().messagesStored.sum(), "stored once each");
            assertTrue(outcome.serverCpuUsPerMessage > 0, "in-process CPU per message is reported");
        }
    }

    /** The bare relay, and the relay that acknowledges: the two references the switch is measured against. */
    @ParameterizedTest(name = "relay acks: {0}")
    @ValueSource(booleans = { false, true })
    void shouldRelayEverySendAndAckItOnlyWhenTheRelayAcknowledges(final boolean acks) throws Exception
    {
        try (RelayServer relay = new RelayServer("127.0.0.1", 0, 2, "auto", acks);
            Fleet fleet = new Fleet(target(relay.port()), USERS, 2))
        {
            assertEquals(0, fleet.connect(0, USERS, 20_000));
            final ChatRun.Outcome outcome;
            final Measurements measurements = new Measurements("chat", () -> "");
            try (measurements)
            {
                outcome = new ChatRun(fleet, settings(acks), measurements).run();
            }

            final int acked = acks ? 1_200 : 0;
            assertEquals(1_200, outcome.tally.sent);
            assertEquals(acked, outcome.tally.acked);
            assertEquals(1_200, outcome.tally.delivered);
            assertEquals(1_200, relay.relayed());
            assertEquals(0, outcome.tally.lost);
            assertEquals(0, outcome.tally.duplicates);
            assertEquals(0, measurements.gaps.sum(), "the sender's seqs from its acks and its Delivers' seqs agree");
            assertEquals(acked, measurements.ackLatencyUs().getTotalCount());
            assertEquals(1_200, measurements.deliverLatencyUs().getTotalCount());
        }
    }

    private static ChatRun.Settings settings(final boolean acks)
    {
        final ChatRun.Settings settings = new ChatRun.Settings();
        settings.ratePerSecond = 300;
        settings.durationMs = 4_000;
        settings.warmupMs = 0;
        settings.drainMs = 15_000;
        settings.payloadBytes = 100;
        settings.acks = acks;
        settings.serverPid = ProcessHandle.current().pid();
        return settings;
    }

    private static Target target(final int port) throws Exception
    {
        return new Target("127.0.0.1", port, null, SECRET, 5_000, List.of(
            InetAddress.getByName("127.0.0.1"), InetAddress.getByName("127.0.0.2")));
    }
}
