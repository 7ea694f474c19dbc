package io.xin.core.session;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.lmax.disruptor.RingBuffer;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.xin.core.XinSwitch;
import io.xin.core.auth.TokenVerifier;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.net.XinChannelInitializer;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.pb.Frame;

import io.xin.protocol.codec.FrameDecoderFuzzTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzz target of the login path: the switch's real pipeline (capped decoder,
 * encoder, session handler) in an {@link EmbeddedChannel}, fed any first bytes in small chunks.
 * Whatever arrives, the session either waits for more, hands one Login with a valid token to the
 * ring, or answers with exactly one error frame and closes; nothing escapes the pipeline. The
 * committed corpus ({@code LoginPathFuzzTestInputs/}) holds a login with a token valid until 2126
 * for the fixed test clock, so mutations reach past the signature check.
 */
@Tag("fuzz")
class LoginPathFuzzTest
{
    static final String SECRET = "fuzz-test-secret-of-at-least-32-bytes!!";
    /** 2026-06-01: the corpus's tokens were issued on 2026-01-01 for a hundred years. */
    static final long NOW_MS = Instant.parse("2026-06-01T00:00:00Z").toEpochMilli();
    private static final TokenVerifier VERIFIER =
        new TokenVerifier(SECRET.getBytes(StandardCharsets.UTF_8), null, 30, () -> NOW_MS);

    @FuzzTest(maxDuration = "2m")
    void fuzzFirstFrames(final byte[] input)
    {
        final XinSwitch.Context settings = new XinSwitch.Context().jwtSecret(SECRET).clock(() -> NOW_MS);
        final RingBuffer<SwitchEvent> ring = RingBuffer.createMultiProducer(SwitchEvent::new, 64);
        final SwitchCounters counters = new SwitchCounters();
        final SessionContext shared = new SessionContext(settings, VERIFIER, ring, null, new SwitchStatus(),
            counters);
        final EmbeddedChannel channel = new EmbeddedChannel(new XinChannelInitializer(shared, counters, null, false, null));
        try
        {
            int offset = 0;
            for (int i = 0; offset < input.length && channel.isActive() && ring.getCursor() < 0; i++)
            {
                final int length = Math.min(input.length - offset, 1 + i % 7);
                channel.writeInbound(Unpooled.wrappedBuffer(input, offset, length));
                offset += length;
            }
            int answers = 0;
            Object out;
            while ((out = channel.readOutbound()) != null)
            {
                final io.netty.buffer.ByteBuf bytes = (io.netty.buffer.ByteBuf)out;
                try
                {
                    final Frame frame = decode(bytes);
                    assertTrue(frame.hasError() || frame.hasLoginError(), "only an error may answer: " + frame);
                    answers++;
                }
                finally
                {
                    bytes.release();
                }
            }
            if (ring.getCursor() >= 0)
            {
                assertEquals(0, answers, "an accepted Login is answered by the dispatcher, not here");
                assertTrue(channel.isActive());
                assertEquals(settings.maxFrameLengthBytes(),
                    ((SessionHandler)channel.pipeline().get(XinChannelInitializer.SESSION)).maxFrameLength(),
                    "the larger limit applies once logged in");
            }
            else if (answers > 0)
            {
                assertEquals(1, answers, "one error, then close");
                assertFalse(channel.isActive(), "closed after an error");
            }
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    /**
     * Every committed input mutated 300 times with a fixed seed, through the same target: cheap
     * executions in every build, on top of the corpus replay.
     */
    @Test
    void shouldHoldForSeededMutationsOfTheCorpus() throws Exception
    {
        final Random random = new Random(0x10C1);
        long executions = 0;
        final Path dir = Path.of(LoginPathFuzzTest.class.getResource("LoginPathFuzzTestInputs/fuzzFirstFrames").toURI());
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path file : files.sorted().toList())
            {
                final byte[] seed = Files.readAllBytes(file);
                for (int i = 0; i < 300; i++)
                {
                    fuzzFirstFrames(FrameDecoderFuzzTest.mutate(seed, random));
                    executions++;
                }
            }
        }
        System.out.println("FUZZ LoginPathFuzzTest seeded-mutation executions=" + executions);
        assertTrue(executions > 0);
    }

    private static Frame decode(final io.netty.buffer.ByteBuf bytes)
    {
        final EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(Integer.MAX_VALUE));
        try
        {
            decoder.writeInbound(bytes.retain());
            return decoder.readInbound();
        }
        finally
        {
            decoder.finishAndReleaseAll();
        }
    }
}
