package io.xin.loadgen;

import io.xin.loadgen.scenario.Target;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadOptionsTest
{
    @Test
    void shouldSpreadSessionsOverOneLoopbackAddressPer500()
    {
        final Target target = target("--users", "1200");

        assertEquals(List.of("127.0.0.1", "127.0.0.2", "127.0.0.3"),
            target.sourceAddresses().stream().map(a -> a.getHostAddress()).toList());
        assertEquals("127.0.0.2", target.sourceAddress(4).getHostAddress());
    }

    @Test
    void shouldContinueInTheNextLoopbackSubnetAfter254Addresses()
    {
        final Target target = target("--users", "10", "--source-addresses", "2", "--source-address-offset", "253");

        assertEquals(List.of("127.0.0.254", "127.0.1.1"),
            target.sourceAddresses().stream().map(a -> a.getHostAddress()).toList());
    }

    @Test
    void shouldRejectAPayloadTooSmallForTheHeaderAndANonPositiveRate()
    {
        assertThrows(IllegalArgumentException.class, () -> options("--payload", "31").validate());
        assertThrows(IllegalArgumentException.class, () -> options("--rate", "0").validate());
    }

    @Test
    void shouldTrackSendsAgainstARelayOnlyWhenTheRelayAcknowledges()
    {
        final LoadOptions bare = options("--start", "RELAY");
        bare.validate();
        assertTrue(bare.noAcks, "the bare relay sends no acks");

        final LoadOptions acking = options("--start", "RELAY", "--relay-acks");
        acking.validate();
        assertFalse(acking.noAcks, "against an acknowledging relay sends are tracked");

        assertThrows(IllegalArgumentException.class, () -> options("--start", "SWITCH", "--relay-acks").validate());
        assertThrows(IllegalArgumentException.class,
            () -> options("--start", "RELAY", "--relay-acks", "--no-acks").validate());
    }

    @Test
    void shouldGiveEverySessionTheClusterSeedsStartingAtAnotherSeed()
    {
        final Target target = target("--seeds", "127.0.0.1:7701,127.0.0.1:7702,localhost:7703");

        assertEquals(List.of("127.0.0.1:7701", "127.0.0.1:7702", "localhost:7703"),
            target.seeds().stream().map(a -> a.getHostString() + ":" + a.getPort()).toList());
        assertThrows(IllegalArgumentException.class, () -> options("--seeds", "127.0.0.1").validate());
        assertThrows(IllegalArgumentException.class,
            () -> options("--seeds", "127.0.0.1:7701", "--start", "SWITCH").validate());
    }

    @Test
    void shouldNameTheProcessesWhoseCpuToReport()
    {
        final LoadOptions options = options("--cpu-pid", "n1=11,n2=12", "--cpu-pid", "kafka=13");
        options.validate();

        assertEquals(java.util.Map.of("n1", 11L, "n2", 12L, "kafka", 13L), options.cpuPids());
        assertEquals(List.of("n1", "n2", "kafka"), List.copyOf(options.cpuPids().keySet()));
        assertThrows(IllegalArgumentException.class, () -> options("--cpu-pid", "13").validate());
    }

    private static Target target(final String... args)
    {
        final LoadOptions options = options(args);
        options.validate();
        try
        {
            return options.target(TargetProcess.start(options));
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static LoadOptions options(final String... args)
    {
        final LoadOptions options = new LoadOptions();
        final String[] all = new String[args.length + 2];
        all[0] = "--jwt-secret";
        all[1] = "a-test-secret-of-at-least-thirty-two-bytes";
        System.arraycopy(args, 0, all, 2, args.length);
        new CommandLine(options).parseArgs(all);
        return options;
    }
}
