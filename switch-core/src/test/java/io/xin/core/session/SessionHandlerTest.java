package io.xin.core.session;

import com.lmax.disruptor.RingBuffer;
import io.netty.channel.ChannelPipelineException;
import io.netty.channel.embedded.EmbeddedChannel;
import io.xin.core.XinSwitch;
import io.xin.core.auth.TokenVerifier;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.net.XinChannelInitializer;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The session handler's place in a pipeline: one handler per connection. Only its own wake-up from parking
 * (ParkingIT) moves it to a new channel.
 */
class SessionHandlerTest
{
    private static final String SECRET = "session-handler-test-secret-of-32-bytes!";

    @Test
    void shouldRefuseToJoinASecondPipeline()
    {
        final XinSwitch.Context settings = new XinSwitch.Context().jwtSecret(SECRET);
        final SwitchCounters counters = new SwitchCounters();
        final SessionContext shared = new SessionContext(settings,
            new TokenVerifier(SECRET.getBytes(StandardCharsets.UTF_8), null, 30, System::currentTimeMillis),
            RingBuffer.createMultiProducer(SwitchEvent::new, 8), null, new SwitchStatus(), counters);
        final EmbeddedChannel first = new EmbeddedChannel(new XinChannelInitializer(shared, counters, null, false, null));
        final EmbeddedChannel second = new EmbeddedChannel();
        try
        {
            final SessionHandler handler = (SessionHandler)first.pipeline().get(XinChannelInitializer.SESSION);
            assertThrows(ChannelPipelineException.class, () -> second.pipeline().addLast(handler));
            assertSame(handler, first.pipeline().get(XinChannelInitializer.SESSION));
        }
        finally
        {
            first.finishAndReleaseAll();
            second.finishAndReleaseAll();
        }
    }
}
