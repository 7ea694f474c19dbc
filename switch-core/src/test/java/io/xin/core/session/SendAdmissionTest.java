package io.xin.core.session;

import io.xin.core.device.Session;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.Send;
import org.junit.jupiter.api.Test;

import static io.xin.core.session.SendAdmission.Verdict.ADMITTED;
import static io.xin.core.session.SendAdmission.Verdict.AUDIENCES_NOT_SERVED;
import static io.xin.core.session.SendAdmission.Verdict.BAD_CLIENT_MSG_ID;
import static io.xin.core.session.SendAdmission.Verdict.BAD_RECIPIENT;
import static io.xin.core.session.SendAdmission.Verdict.BEHIND_BUSY;
import static io.xin.core.session.SendAdmission.Verdict.BEHIND_RATE_LIMITED;
import static io.xin.core.session.SendAdmission.Verdict.DRAINING;
import static io.xin.core.session.SendAdmission.Verdict.NO_CONTENT_TYPE;
import static io.xin.core.session.SendAdmission.Verdict.RATE_LIMITED;
import static io.xin.core.session.SendAdmission.Verdict.STORAGE_FAILED;
import static io.xin.core.session.SendAdmission.Verdict.TOO_MANY_IN_FLIGHT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admission checks of a Send in protocol.md's order, with a fake clock (plain nanosecond values) and no
 * channel: a session without one is all the checks need.
 */
class SendAdmissionTest
{
    private static final long MS = 1_000_000;
    private static final long T0 = 1_000 * MS;

    private final SwitchStatus status = new SwitchStatus();
    /** 10 sends a second (one each 100 ms), bursts of 2; in flight at most 3; closed after 4 refusals in a row. */
    private final SendAdmission admission = new SendAdmission(status, true, 3, 10, 2, 4);
    private final Session session = new Session(null, 1, "phone");
    private final SendAdmission.Refusals refusals = new SendAdmission.Refusals();

    private SendAdmission.Verdict admit(final String clientMsgId, final long nowNs)
    {
        return admission.admit(session, refusals, 2, 0, clientMsgId.length(), true, send(clientMsgId), nowNs);
    }

    private SendAdmission.Verdict answered(final String clientMsgId, final long nowNs)
    {
        final SendAdmission.Verdict verdict = admit(clientMsgId, nowNs);
        if (verdict == ADMITTED)
        {
            session.decrementInFlightSends();
        }
        return verdict;
    }

    private static Send send(final String clientMsgId)
    {
        return Send.newBuilder().setClientMsgId(clientMsgId).setToUserId(2)
            .setContent(Content.newBuilder().setTypeValue(1)).build();
    }

    @Test
    void clientsMayNotWriteTheTypesTheSwitchWrites()
    {
        assertFalse(SendAdmission.clientType(ContentType.CONTENT_TYPE_UNSPECIFIED_VALUE));
        assertFalse(SendAdmission.clientType(ContentType.GROUP_EVENT_VALUE));
        assertFalse(SendAdmission.clientType(ContentType.FRIEND_EVENT_VALUE));
        for (final ContentType type : new ContentType[] {ContentType.TEXT, ContentType.IMAGE, ContentType.VIDEO,
            ContentType.VOICE, ContentType.LOCATION, ContentType.FILE, ContentType.CUSTOM})
        {
            assertTrue(SendAdmission.clientType(type.getNumber()), type.name());
        }
        // A type this switch does not know yet is the client's business, as before.
        assertTrue(SendAdmission.clientType(100));
    }

    @Test
    void shouldRunTheChecksInProtocolOrder()
    {
        status.startDraining();
        status.storageFailed(new RuntimeException("disk"));
        // While storage failed and draining, and over the rate, validation still comes first.
        assertEquals(BAD_CLIENT_MSG_ID, admission.admit(session, refusals, 2, 0, 0, true, send(""), T0));
        assertEquals(BAD_CLIENT_MSG_ID, admission.admit(session, refusals, 2, 0, 65, true, send("x"), T0));
        assertEquals(BAD_RECIPIENT, admission.admit(session, refusals, 0, 0, 1, true, send("a"), T0));
        assertEquals(BAD_RECIPIENT, admission.admit(session, refusals, 2, 5, 1, true, send("a"), T0));
        assertEquals(BAD_RECIPIENT, admission.admit(session, refusals, 0, -5, 1, true, send("a"), T0));
        assertEquals(AUDIENCES_NOT_SERVED, new SendAdmission(status, false, 3, 10, 2, 4)
            .admit(session, refusals, 0, 5, 1, true, send("a"), T0));
        assertEquals(NO_CONTENT_TYPE, admission.admit(session, refusals, 2, 0, 1, false, send("a"), T0));
        assertEquals(STORAGE_FAILED, admit("a", T0));
        assertEquals(0, session.inFlightSends(), "a refused send is not in flight");
    }

    @Test
    void shouldRefuseWhileDrainingBeforeTheRateIsCharged()
    {
        status.startDraining();
        assertEquals(DRAINING, admit("a", T0));
        assertEquals(DRAINING, admit("b", T0));
        assertEquals(DRAINING, admit("c", T0));
        assertEquals(null, refusals.limiter, "no share of the rate was taken");
    }

    @Test
    void shouldRefuseForRateThenAdmitAfterRetryAfter()
    {
        assertEquals(ADMITTED, answered("a", T0));
        assertEquals(ADMITTED, answered("b", T0));
        assertEquals(RATE_LIMITED, answered("c", T0));
        final int retryAfterMs = admission.refusedForRate(refusals, "c", T0);
        assertEquals(100, retryAfterMs);
        // Later sends wait behind the refused one, whatever the bucket holds.
        assertEquals(BEHIND_RATE_LIMITED, answered("d", T0 + 500 * MS));
        assertEquals(150, admission.refusedForRate(refusals, "d", T0 + 50 * MS), "waits behind c: 200 ms after T0");
        // The refused one, one nanosecond early, is still over the rate.
        assertEquals(RATE_LIMITED, answered("c", T0 + retryAfterMs * MS - 1));
        assertEquals(ADMITTED, answered("c", T0 + retryAfterMs * MS));
        assertEquals(0, refusals.rateLimitedInARow);
        assertEquals(null, refusals.refusedClientMsgId, "the refusal is lifted once c came again");
    }

    @Test
    void shouldCloseASessionThatKeepsSendingIntoTheLimit()
    {
        answered("a", T0);
        answered("b", T0);
        for (int i = 0; i < 4; i++)
        {
            assertEquals(RATE_LIMITED, answered("c", T0));
            assertEquals(true, admission.refusedForRate(refusals, "c", T0) > 0);
        }
        assertEquals(RATE_LIMITED, answered("c", T0));
        assertEquals(SendAdmission.CLOSE_SESSION, admission.refusedForRate(refusals, "c", T0));
    }

    @Test
    void shouldRefuseOverTheInFlightLimitAndHoldLaterSendsBehindIt()
    {
        final SendAdmission unlimitedRate = new SendAdmission(status, true, 3, 0, 1, 4);
        final SendAdmission.Refusals noLimiter = new SendAdmission.Refusals();
        for (final String id : new String[]{ "a", "b", "c" })
        {
            assertEquals(ADMITTED, unlimitedRate.admit(session, noLimiter, 2, 0, 1, true, send(id), T0));
        }
        assertEquals(TOO_MANY_IN_FLIGHT, unlimitedRate.admit(session, noLimiter, 2, 0, 1, true, send("d"), T0));
        assertEquals(3, session.inFlightSends(), "the refused send is not counted");
        unlimitedRate.refusedBusy(noLimiter, "d", T0);
        session.decrementInFlightSends();
        assertEquals(BEHIND_BUSY, unlimitedRate.admit(session, noLimiter, 2, 0, 1, true, send("e"), T0));
        assertEquals(ADMITTED, unlimitedRate.admit(session, noLimiter, 2, 0, 1, true, send("d"), T0));
        assertEquals(3, session.inFlightSends());
    }

    @Test
    void shouldForgetARefusalAfterTenSeconds()
    {
        final SendAdmission unlimitedRate = new SendAdmission(status, true, 3, 0, 1, 4);
        final SendAdmission.Refusals noLimiter = new SendAdmission.Refusals();
        unlimitedRate.refusedBusy(noLimiter, "d", T0);
        assertEquals(BEHIND_BUSY, unlimitedRate.admit(session, noLimiter, 2, 0, 1, true, send("e"),
            T0 + SendAdmission.MAX_REFUSAL_NS));
        assertEquals(ADMITTED, unlimitedRate.admit(session, noLimiter, 2, 0, 1, true, send("e"),
            T0 + SendAdmission.MAX_REFUSAL_NS + 1));
    }
}
