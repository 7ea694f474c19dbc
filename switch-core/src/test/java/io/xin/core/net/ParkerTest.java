package io.xin.core.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipelineException;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.xin.core.device.Session;
import io.xin.core.status.SwitchCounters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.channels.ClosedChannelException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The switch's parking rules on embedded channels (no sockets): when a session may park, what parking and waking
 * tell the session and the counters, and what reaches a channel the session has left.
 */
class ParkerTest
{
    private final SwitchCounters counters = new SwitchCounters();
    private final Parker parker = new Parker(counters);
    private final SessionHandlerStandIn handler = new SessionHandlerStandIn();
    private final ParkableChannel channel = new ParkableChannel(handler);
    private final Session session = new Session(channel, 1, "phone");

    @AfterEach
    void close()
    {
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldLetAnIdleSessionOnAParkingTransportPark()
    {
        assertTrue(parker.mayPark(session, handler.ctx, true));
    }

    @Test
    void shouldNotParkWithAnythingPending()
    {
        assertFalse(parker.mayPark(session, handler.ctx, false), "part of a frame in the decoder");

        session.incrementInFlightSends();
        assertFalse(parker.mayPark(session, handler.ctx, true), "a send in flight");
        session.decrementInFlightSends();

        assertTrue(session.tryStartSync());
        assertFalse(parker.mayPark(session, handler.ctx, true), "a sync page in flight");
        session.syncDone();

        session.addQueuedBytes(10);
        assertFalse(parker.mayPark(session, handler.ctx, true), "dispatcher frames queued for the loop");
        session.addQueuedBytes(-10);

        session.pushDropped(5);
        assertFalse(parker.mayPark(session, handler.ctx, true), "a sync hint owed");
        session.takeMustSync();

        assertTrue(parker.mayPark(session, handler.ctx, true));
    }

    @Test
    void shouldNotParkBehindAnotherHandlerOrOnATransportThatDoesNotPark()
    {
        channel.pipeline().addFirst("tls", new ChannelInboundHandlerAdapter());
        assertFalse(parker.mayPark(session, handler.ctx, true), "a handler before the session's (TLS)");
        channel.pipeline().remove("tls");

        channel.parks = false;
        assertFalse(parker.mayPark(session, handler.ctx, true));

        final SessionHandlerStandIn other = new SessionHandlerStandIn();
        final EmbeddedChannel plain = new EmbeddedChannel(other);
        assertFalse(parker.mayPark(new Session(plain, 2, "phone"), other.ctx, true), "not a Parkable transport");
        plain.finishAndReleaseAll();
    }

    @Test
    void shouldTakeTheChannelFromTheSessionAsItParksAndGiveTheNewOneAsItWakes()
    {
        final Parking.Parked parked = parker.park(session, channel, owner());

        assertSame(channel.record, parked);
        assertNull(session.channel());
        assertEquals(1, counters.sessionsParked.get());
        assertEquals(1, counters.sessionParks.sum());

        handler.sharable = true;
        final Channel woken = parker.wake(session, parked, handler);

        assertSame(channel.record.next, woken);
        assertSame(woken, session.channel());
        assertTrue(woken.isRegistered());
        assertSame(woken, handler.ctx.channel(), "the same handler joined the new pipeline");
        assertEquals(0, counters.sessionsParked.get());
        assertEquals(1, counters.sessionWakes.sum());
        ((EmbeddedChannel)woken).finishAndReleaseAll();
    }

    @Test
    void shouldLeaveTheSessionAsItWasWhenTheChannelCannotPark()
    {
        channel.refuse = true;

        assertNull(parker.park(session, channel, owner()));

        assertSame(channel, session.channel());
        assertEquals(0, counters.sessionsParked.get());
        assertEquals(0, counters.sessionParks.sum());
    }

    @Test
    void shouldNotMoveAHandlerThatDoesNotLetItselfJoinASecondPipeline()
    {
        final Parking.Parked parked = parker.park(session, channel, owner());

        // Not sharable outside its own wake-up: Netty refuses to add it to the new pipeline.
        assertThrows(ChannelPipelineException.class, () -> parker.wake(session, parked, handler));
        assertNull(session.channel());
        assertSame(channel, handler.ctx.channel());
    }

    @Test
    void shouldPassAWriteFromALeftChannelOnToTheCurrentOneAndTellTheCaller()
    {
        final EmbeddedChannel current = new EmbeddedChannel();
        final ChannelPromise promise = channel.newPromise();
        final ByteBuf frame = Unpooled.wrappedBuffer(new byte[]{ 1, 2 });

        parker.passOn(current, frame, promise, false);
        current.flush();

        final ByteBuf written = current.readOutbound();
        assertSame(frame, written);
        written.release();
        assertTrue(promise.isSuccess());
        current.finishAndReleaseAll();
    }

    @Test
    void shouldFailAWriteAndReleaseItWhenTheSessionClosedWhileParked()
    {
        final ChannelPromise promise = channel.newPromise();
        final ByteBuf frame = Unpooled.wrappedBuffer(new byte[]{ 1 });

        parker.passOn(null, frame, promise, false);

        assertEquals(0, frame.refCnt());
        assertInstanceOf(ClosedChannelException.class, promise.cause());
    }

    @Test
    void shouldPassACloseOnAndCountACloseWhileParkedAsDone()
    {
        final EmbeddedChannel current = new EmbeddedChannel();
        final ChannelPromise closing = channel.newPromise();
        parker.passOn(current, null, closing, true);
        assertFalse(current.isOpen());
        assertTrue(closing.isSuccess());

        final ChannelPromise closedAlready = channel.newPromise();
        parker.passOn(null, null, closedAlready, true);
        assertTrue(closedAlready.isSuccess());
        assertTrue(channel.isOpen(), "the left channel is never closed");
    }

    private static Parking.Owner owner()
    {
        return new Parking.Owner()
        {
            @Override
            public void onParkedEvent()
            {
            }

            @Override
            public void onParkedClosed()
            {
            }
        };
    }

    /** Stands for the session handler: it keeps its latest context, and is sharable only when told. */
    private static final class SessionHandlerStandIn extends ChannelInboundHandlerAdapter
    {
        ChannelHandlerContext ctx;
        boolean sharable;

        @Override
        public boolean isSharable()
        {
            return sharable;
        }

        @Override
        public void handlerAdded(final ChannelHandlerContext ctx)
        {
            this.ctx = ctx;
        }
    }

    /** A transport that parks: its record wakes into a new unregistered embedded channel on the same loop. */
    private static final class ParkableChannel extends EmbeddedChannel implements Parking.Parkable
    {
        boolean parks = true;
        boolean refuse;
        Record record;

        ParkableChannel(final ChannelHandler handler)
        {
            super(handler);
        }

        @Override
        public boolean canPark()
        {
            return parks;
        }

        @Override
        public Parking.Parked park(final Parking.Owner owner)
        {
            if (refuse)
            {
                return null;
            }
            record = new Record(eventLoop());
            return record;
        }
    }

    private static final class Record implements Parking.Parked
    {
        private final EventLoop eventLoop;
        EmbeddedChannel next;

        Record(final EventLoop eventLoop)
        {
            this.eventLoop = eventLoop;
        }

        @Override
        public Channel wake()
        {
            next = new EmbeddedChannel(false, false);
            return next;
        }

        @Override
        public EventLoop eventLoop()
        {
            return eventLoop;
        }
    }
}
