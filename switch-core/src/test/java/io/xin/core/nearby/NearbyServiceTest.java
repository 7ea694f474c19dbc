package io.xin.core.nearby;

import io.netty.channel.embedded.EmbeddedChannel;
import io.xin.core.device.Session;
import io.xin.protocol.pb.DistanceBand;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.NearbyOp;
import io.xin.protocol.pb.NearbyRequest;
import io.xin.protocol.pb.NearbyResult;
import io.xin.protocol.pb.ShakeRequest;
import io.xin.protocol.pb.ShakeResult;
import io.xin.protocol.pb.ShakeState;
import io.xin.social.BlockCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The nearby service driven on the test's thread, with a clock of the test's own: what the event loops answer at
 * once, what the nearby thread answers, and what it pushes to waiting shakers.
 */
class NearbyServiceTest
{
    private static final long T0 = 1_700_000_000_000L;
    private static final double LAT = 31.2304;
    private static final double LNG = 121.4737;

    private final AtomicLong clock = new AtomicLong(T0);
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void closeChannels()
    {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private static NearbyConfig config(final int reportsPerMinute, final int queueCapacity)
    {
        return new NearbyConfig(9, 1_800, 1_000, reportsPerMinute, 30, 50, 3_000, 0, queueCapacity, 200);
    }

    private NearbyService service(final NearbyConfig config, final BlockCheck blocks)
    {
        final NearbyService service = new NearbyService(config, blocks, clock::get, null);
        service.onStart();
        return service;
    }

    private Session session(final long userId)
    {
        final EmbeddedChannel channel = new EmbeddedChannel();
        channels.add(channel);
        return new Session(channel, userId, "phone");
    }

    private static Frame answer(final Session session)
    {
        return ((EmbeddedChannel)session.channel()).readOutbound();
    }

    private static NearbyRequest report(final long requestId, final double latitude, final double longitude)
    {
        return NearbyRequest.newBuilder().setRequestId(requestId).setOp(NearbyOp.NEARBY_REPORT)
            .setLatitude(latitude).setLongitude(longitude).build();
    }

    private static NearbyRequest query(final long requestId)
    {
        return NearbyRequest.newBuilder().setRequestId(requestId).setOp(NearbyOp.NEARBY_QUERY).build();
    }

    @Test
    void shouldReportQueryAndLeave()
    {
        final NearbyService service = service(config(10, 64), BlockCheck.NEVER);
        final Session alice = session(1);
        final Session bob = session(2);
        assertNull(service.submit(alice, report(11, LAT, LNG)));
        assertNull(service.submit(bob, report(21, LAT + 0.01, LNG)));
        service.doWork();
        final NearbyResult reported = answer(alice).getNearbyResult();
        assertEquals(11, reported.getRequestId());
        assertEquals(NearbyOp.NEARBY_REPORT, reported.getOp());
        assertEquals(T0 + 1_800_000, reported.getExpiresAtMs());
        answer(bob);

        assertNull(service.submit(alice, query(12)));
        service.doWork();
        final NearbyResult page = answer(alice).getNearbyResult();
        assertEquals(12, page.getRequestId());
        assertEquals(1, page.getUsersCount());
        assertEquals(2, page.getUsers(0).getUserId());
        assertEquals(DistanceBand.WITHIN_2_KM, page.getUsers(0).getBand());
        assertEquals(0, page.getNextOffset());

        assertNull(service.submit(bob,
            NearbyRequest.newBuilder().setRequestId(22).setOp(NearbyOp.NEARBY_LEAVE).build()));
        assertNull(service.submit(alice, query(13)));
        service.doWork();
        assertEquals(NearbyOp.NEARBY_LEAVE, answer(bob).getNearbyResult().getOp());
        assertEquals(0, answer(alice).getNearbyResult().getUsersCount());
        assertNull(service.submit(bob, query(23)));
        service.doWork();
        assertError(answer(bob), 23, ErrorCode.BAD_REQUEST);
    }

    @Test
    void shouldRefuseBadRequestsOnTheEventLoop()
    {
        final NearbyService service = service(config(10, 64), BlockCheck.NEVER);
        final Session alice = session(1);
        assertError(service.submit(alice, report(1, 91, 0)), 1, ErrorCode.LOCATION_REFUSED);
        assertError(service.submit(alice, report(2, 0, Double.NaN)), 2, ErrorCode.LOCATION_REFUSED);
        assertError(service.submit(alice, ShakeRequest.newBuilder().setRequestId(3).setHasLocation(true)
            .setLatitude(0).setLongitude(200).build()), 3, ErrorCode.LOCATION_REFUSED);
        assertError(service.submit(alice, NearbyRequest.newBuilder().setRequestId(4).build()), 4,
            ErrorCode.BAD_REQUEST);
        assertError(service.submit(alice, NearbyRequest.newBuilder().setRequestId(5).setOp(NearbyOp.NEARBY_QUERY)
            .setOffset(50 * NearbyConfig.MAX_PAGES + 1).build()), 5, ErrorCode.BAD_REQUEST);
        assertError(service.submit(alice, NearbyRequest.newBuilder().setRequestId(6).setOp(NearbyOp.NEARBY_QUERY)
            .setOffset(-1).build()), 6, ErrorCode.BAD_REQUEST);
        service.doWork();
        assertNull(answer(alice), "nothing reached the nearby thread");
    }

    @Test
    void shouldAnswerBusyWhenTheQueueIsFull()
    {
        final NearbyService service = service(config(10, 2), BlockCheck.NEVER);
        final Session alice = session(1);
        assertNull(service.submit(alice, report(1, LAT, LNG)));
        assertNull(service.submit(alice, report(2, LAT, LNG)));
        final Frame busy = service.submit(alice, report(3, LAT, LNG));
        assertError(busy, 3, ErrorCode.BUSY);
        assertEquals(200, busy.getError().getRetryAfterMs());
        service.doWork();
        assertEquals(1, answer(alice).getNearbyResult().getRequestId());
        assertEquals(2, answer(alice).getNearbyResult().getRequestId());
        assertNull(service.submit(alice, report(4, LAT, LNG)), "room again once the thread took them");
    }

    @Test
    void shouldRefuseAnImpossibleJumpAndReportsOverTheRate()
    {
        final NearbyService service = service(config(2, 64), BlockCheck.NEVER);
        final Session alice = session(1);
        service.submit(alice, report(1, LAT, LNG));
        service.submit(alice, report(2, 39.9042, 116.4074));
        service.submit(alice, report(3, LAT, LNG));
        service.doWork();
        assertEquals(1, answer(alice).getNearbyResult().getRequestId());
        assertError(answer(alice), 2, ErrorCode.LOCATION_REFUSED);
        final Frame limited = answer(alice);
        assertError(limited, 3, ErrorCode.RATE_LIMITED);
        assertEquals(30_000, limited.getError().getRetryAfterMs());

        clock.addAndGet(30_000);
        service.submit(alice, report(4, LAT, LNG));
        service.doWork();
        assertEquals(4, answer(alice).getNearbyResult().getRequestId());
    }

    @Test
    void shouldLeaveOutBlockedUsersBothWays()
    {
        // 1 blocked 2; 3 blocked nobody.
        final NearbyService service = service(config(10, 64), (blocker, blocked) -> blocker == 1 && blocked == 2);
        final Session[] users = { session(1), session(2), session(3) };
        for (final Session user : users)
        {
            service.submit(user, report(1, LAT, LNG));
        }
        for (final Session user : users)
        {
            service.submit(user, query(2));
        }
        service.doWork();
        final List<List<Long>> seen = new ArrayList<>();
        for (final Session user : users)
        {
            answer(user);
            final List<Long> ids = new ArrayList<>();
            answer(user).getNearbyResult().getUsersList().forEach(u -> ids.add(u.getUserId()));
            seen.add(ids);
        }
        assertEquals(List.of(List.of(3L), List.of(3L), List.of(1L, 2L)), seen);
    }

    @Test
    void shouldPairShakersAndTellTheWaitingOneAndExpireTheUnpaired()
    {
        final NearbyService service = service(config(10, 64), BlockCheck.NEVER);
        final Session alice = session(1);
        final Session bob = session(2);
        final Session carol = session(3);
        service.submit(alice, ShakeRequest.newBuilder().setRequestId(7).setHasLocation(true).setLatitude(LAT)
            .setLongitude(LNG).build());
        service.doWork();
        assertShake(answer(alice), 7, ShakeState.SHAKE_WAITING, 0, DistanceBand.DISTANCE_BAND_UNSPECIFIED);

        clock.addAndGet(2_000);
        service.submit(bob, ShakeRequest.newBuilder().setRequestId(8).setHasLocation(true).setLatitude(LAT + 0.001)
            .setLongitude(LNG).build());
        service.doWork();
        assertShake(answer(bob), 8, ShakeState.SHAKE_MATCHED, 1, DistanceBand.WITHIN_1_KM);
        assertShake(answer(alice), 7, ShakeState.SHAKE_MATCHED, 2, DistanceBand.WITHIN_1_KM);

        service.submit(carol, ShakeRequest.newBuilder().setRequestId(9).build());
        service.doWork();
        assertShake(answer(carol), 9, ShakeState.SHAKE_WAITING, 0, DistanceBand.DISTANCE_BAND_UNSPECIFIED);
        clock.addAndGet(3_000);
        service.doWork();
        assertNull(answer(carol), "not before the window has passed");
        clock.addAndGet(1);
        service.doWork();
        assertShake(answer(carol), 9, ShakeState.SHAKE_EXPIRED, 0, DistanceBand.DISTANCE_BAND_UNSPECIFIED);
        assertNull(answer(alice));
        assertNull(answer(bob));
    }

    @Test
    void shouldEndASupersededShakeAndTellAClosedSessionNothing()
    {
        final NearbyService service = service(config(10, 64), BlockCheck.NEVER);
        final Session alice = session(1);
        final Session alicesTablet = session(1);
        service.submit(alice, ShakeRequest.newBuilder().setRequestId(1).build());
        service.submit(alicesTablet, ShakeRequest.newBuilder().setRequestId(2).build());
        service.doWork();
        assertShake(answer(alice), 1, ShakeState.SHAKE_WAITING, 0, DistanceBand.DISTANCE_BAND_UNSPECIFIED);
        assertShake(answer(alice), 1, ShakeState.SHAKE_EXPIRED, 0, DistanceBand.DISTANCE_BAND_UNSPECIFIED);
        assertShake(answer(alicesTablet), 2, ShakeState.SHAKE_WAITING, 0, DistanceBand.DISTANCE_BAND_UNSPECIFIED);

        alicesTablet.markClosed();
        clock.addAndGet(3_001);
        service.doWork();
        assertNull(answer(alicesTablet));
    }

    private static void assertError(final Frame frame, final long requestId, final ErrorCode code)
    {
        assertNotNull(frame);
        assertEquals(code, frame.getError().getCode(), frame.toString());
        assertEquals(requestId, frame.getError().getRequestId());
        assertEquals(false, frame.getError().getFatal());
    }

    private static void assertShake(
        final Frame frame, final long requestId, final ShakeState state, final long partner, final DistanceBand band)
    {
        assertNotNull(frame);
        final ShakeResult result = frame.getShakeResult();
        assertEquals(requestId, result.getRequestId());
        assertEquals(state, result.getState());
        assertEquals(partner, result.getUserId());
        assertEquals(band, result.getBand());
    }
}
