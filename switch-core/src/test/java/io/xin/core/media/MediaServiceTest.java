package io.xin.core.media;

import com.google.protobuf.ByteString;
import io.xin.core.status.SwitchCounters;
import io.xin.media.BlobInfo;
import io.xin.media.DirectUpload;
import io.xin.media.ForwardingMediaStore;
import io.xin.media.LocalMediaStore;
import io.xin.media.MediaLimits;
import io.xin.media.MutableClock;
import io.xin.media.UploadRequest;
import io.xin.media.SignedUrls;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.UploadHeader;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.MediaUrl;
import io.xin.protocol.pb.MediaUrlResult;
import io.xin.protocol.pb.UploadTicket;
import io.xin.protocol.pb.UploadTicketResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The media service's rules over a real local store in a temporary folder, on a clock the test moves: tickets (new,
 * resumed, already stored, limits, quota), reference checks (owner, size, privacy, the stamped token, the reference
 * time) and download URLs.
 */
class MediaServiceTest
{
    private static final long ALICE = 1;
    private static final long BOB = 2;
    private static final String PUBLIC_URL = "https://media.example.com";
    private static final long QUOTA = 1_000;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    private final SwitchCounters counters = new SwitchCounters();
    private final MediaKeys keys = MediaKeys.random();
    private final MediaLimits limits = new MediaLimits(600, 700, 800, 900, 2, Duration.ofHours(1));
    private LocalMediaStore store;
    private MediaService media;

    @BeforeEach
    void open()
    {
        store = LocalMediaStore.open(dir, limits, clock);
        media = service();
    }

    @AfterEach
    void close()
    {
        media.close();
        store.close();
    }

    private MediaService service()
    {
        return new MediaService(store, keys.signedUrls(clock), keys.accessTokens(Duration.ofDays(2), clock),
            new MediaService.Settings(PUBLIC_URL + "/", limits, QUOTA, 4096), clock, counters, Runnable::run);
    }

    private static byte[] sha256(final byte[] bytes) throws Exception
    {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    private static UploadTicket ticket(final byte[] bytes, final String contentType) throws Exception
    {
        return UploadTicket.newBuilder().setRequestId(7).setSizeBytes(bytes.length).setContentType(contentType)
            .setSha256(ByteString.copyFrom(sha256(bytes))).build();
    }

    private static String uploadId(final UploadTicketResult result)
    {
        return result.getUploadUrl().substring(result.getUploadUrl().lastIndexOf('/') + 1);
    }

    /** A ticket for the bytes, then the bytes through the store's API, as the media HTTP server appends them. */
    private String upload(final long owner, final byte[] bytes) throws Exception
    {
        final Frame answer = media.ticketNow(owner, ticket(bytes, "image/jpeg"));
        assertTrue(answer.hasUploadTicketResult(), answer.toString());
        final UploadTicketResult result = answer.getUploadTicketResult();
        if (!result.getAlreadyStored())
        {
            assertTrue(store.append(uploadId(result), result.getOffset(),
                ByteBuffer.wrap(bytes, (int)result.getOffset(), bytes.length - (int)result.getOffset())).completed());
        }
        return result.getBlobKey();
    }

    private static Content image(final String blobKey, final long size, final String accessToken)
    {
        return Content.newBuilder().setType(ContentType.IMAGE).setMedia(MediaRef.newBuilder()
            .setBlobKey(blobKey).setSizeBytes(size).setMimeType("image/jpeg").setWidth(4).setHeight(3)
            .setAccessToken(accessToken)).build();
    }

    @Test
    void shouldAnswerANewUploadWithItsUrlTokenExpiryAndChunkSize() throws Exception
    {
        final byte[] bytes = "a photo".getBytes(StandardCharsets.UTF_8);
        final UploadTicketResult result = media.ticketNow(ALICE, ticket(bytes, "image/jpeg")).getUploadTicketResult();

        assertEquals(7, result.getRequestId());
        assertEquals(io.xin.media.MediaIds.blobId(sha256(bytes)), result.getBlobKey());
        final String id = uploadId(result);
        assertEquals(PUBLIC_URL + "/media/v1/uploads/" + id, result.getUploadUrl());
        assertEquals(clock.instant().plus(Duration.ofHours(1)).toEpochMilli(), result.getExpiresAtMs());
        assertEquals(0, result.getOffset());
        assertEquals(4096, result.getMaxChunkBytes());
        assertFalse(result.getAlreadyStored());
        final SignedUrls urls = keys.signedUrls(clock);
        assertEquals(SignedUrls.Verdict.VALID, urls.verify("PATCH", "/media/v1/uploads/" + id, result.getToken()));
        assertEquals(bytes.length, store.upload(id).orElseThrow().size());
        assertEquals(ALICE, store.upload(id).orElseThrow().ownerId());
        assertEquals(1, counters.mediaTicketsNew.sum());
    }

    @Test
    void shouldResumeTheOwnersUploadInProgressOfTheSameBytesAndNotAnothersOrAfterARestart() throws Exception
    {
        final byte[] bytes = "half of it arrived".getBytes(StandardCharsets.UTF_8);
        final UploadTicketResult first = media.ticketNow(ALICE, ticket(bytes, "image/jpeg")).getUploadTicketResult();
        store.append(uploadId(first), 0, ByteBuffer.wrap(bytes, 0, 5));
        clock.advance(Duration.ofMinutes(10));

        final UploadTicketResult again = media.ticketNow(ALICE, ticket(bytes, "image/jpeg")).getUploadTicketResult();
        assertEquals(first.getUploadUrl(), again.getUploadUrl());
        assertEquals(5, again.getOffset());
        assertEquals(first.getExpiresAtMs(), again.getExpiresAtMs(), "the upload's own expiry");
        assertEquals(1, counters.mediaTicketsResumed.sum());

        final UploadTicketResult bobs = media.ticketNow(BOB, ticket(bytes, "image/jpeg")).getUploadTicketResult();
        assertNotEquals(first.getUploadUrl(), bobs.getUploadUrl(), "another user's upload is never handed out");
        assertEquals(0, bobs.getOffset());

        // A new service over the same store finds the upload again once started.
        media.close();
        media = service();
        media.start();
        final UploadTicketResult afterRestart =
            media.ticketNow(ALICE, ticket(bytes, "image/jpeg")).getUploadTicketResult();
        assertEquals(first.getUploadUrl(), afterRestart.getUploadUrl());
        assertEquals(5, afterRestart.getOffset());
    }

    @Test
    void shouldStartAnotherUploadWhenTheOneInProgressIsAboutToExpire() throws Exception
    {
        final byte[] bytes = "slow".getBytes(StandardCharsets.UTF_8);
        final UploadTicketResult first = media.ticketNow(ALICE, ticket(bytes, "image/jpeg")).getUploadTicketResult();
        clock.advance(Duration.ofHours(1).minus(MediaService.MIN_RESUME_LEFT));

        final UploadTicketResult next = media.ticketNow(ALICE, ticket(bytes, "image/jpeg")).getUploadTicketResult();
        assertNotEquals(first.getUploadUrl(), next.getUploadUrl());
    }

    @Test
    void shouldSayAlreadyStoredToAnOwnerOnlyAndLetAnotherUserUploadTheSameBytes() throws Exception
    {
        final byte[] bytes = "a meme everyone sends".getBytes(StandardCharsets.UTF_8);
        final String blob = upload(ALICE, bytes);

        final UploadTicketResult alices = media.ticketNow(ALICE, ticket(bytes, "image/jpeg")).getUploadTicketResult();
        assertTrue(alices.getAlreadyStored());
        assertEquals(blob, alices.getBlobKey());
        assertEquals("", alices.getUploadUrl());
        assertEquals("", alices.getToken());

        final UploadTicketResult bobs = media.ticketNow(BOB, ticket(bytes, "image/jpeg")).getUploadTicketResult();
        assertFalse(bobs.getAlreadyStored(), "Bob must not learn that someone stored these bytes");
        assertEquals(0, bobs.getOffset());
        assertTrue(bobs.getUploadUrl().startsWith(PUBLIC_URL + "/media/v1/uploads/"));
        assertEquals(1, counters.mediaTicketsAlreadyStored.sum());
    }

    @Test
    void shouldRefuseTicketsOverTheSizeLimitTheQuotaOrTheUploadsInProgress() throws Exception
    {
        final Frame tooLarge = media.ticketNow(ALICE, UploadTicket.newBuilder().setRequestId(3).setSizeBytes(601)
            .setContentType("image/png").setSha256(ByteString.copyFrom(new byte[32])).build());
        assertEquals(ErrorCode.MEDIA_TOO_LARGE, tooLarge.getError().getCode());
        assertEquals(3, tooLarge.getError().getRequestId());
        assertFalse(tooLarge.getError().getFatal());
        // The family sets the limit: 601 bytes of video are fine.
        assertTrue(media.ticketNow(ALICE, UploadTicket.newBuilder().setSizeBytes(601).setContentType("video/mp4")
            .setSha256(ByteString.copyFrom(sha256(new byte[]{ 1 }))).build()).hasUploadTicketResult());

        // 601 bytes in progress; 400 more would pass the quota of 1000.
        final Frame overQuota = media.ticketNow(ALICE, UploadTicket.newBuilder().setSizeBytes(400)
            .setContentType("audio/ogg").setSha256(ByteString.copyFrom(sha256(new byte[]{ 2 }))).build());
        assertEquals(ErrorCode.QUOTA_EXCEEDED, overQuota.getError().getCode());
        assertTrue(media.ticketNow(ALICE, UploadTicket.newBuilder().setSizeBytes(399).setContentType("audio/ogg")
            .setSha256(ByteString.copyFrom(sha256(new byte[]{ 3 }))).build()).hasUploadTicketResult());

        // Two uploads in progress is the limit, whatever the quota says.
        for (int i = 0; i < 2; i++)
        {
            assertTrue(media.ticketNow(BOB, UploadTicket.newBuilder().setSizeBytes(1).setContentType("text/plain")
                .setSha256(ByteString.copyFrom(sha256(new byte[]{ 4, (byte)i }))).build()).hasUploadTicketResult());
        }
        final Frame third = media.ticketNow(BOB, UploadTicket.newBuilder().setSizeBytes(1)
            .setContentType("text/plain").setSha256(ByteString.copyFrom(sha256(new byte[]{ 5 }))).build());
        assertEquals(ErrorCode.QUOTA_EXCEEDED, third.getError().getCode());
        assertTrue(third.getError().getMessage().contains("uploads in progress"), third.getError().getMessage());
        assertEquals(1, counters.mediaRefusedTooLarge.sum());
        assertEquals(2, counters.mediaRefusedQuota.sum());
    }

    @Test
    void shouldRefuseMalformedTickets() throws Exception
    {
        final UploadTicket good = ticket(new byte[]{ 9 }, "image/jpeg");
        final List<UploadTicket> bad = new ArrayList<>();
        bad.add(good.toBuilder().setSizeBytes(0).build());
        bad.add(good.toBuilder().setSha256(ByteString.copyFrom(new byte[31])).build());
        bad.add(good.toBuilder().setContentType("jpeg").build());
        bad.add(good.toBuilder().setContentType("image/../x").build());
        for (final UploadTicket ticket : bad)
        {
            assertEquals(ErrorCode.BAD_REQUEST, media.ticketNow(ALICE, ticket).getError().getCode(), ticket.toString());
        }
        assertEquals(bad.size(), counters.mediaRefusedBadRequest.sum());
    }

    @Test
    void shouldStampAReferenceToTheSendersBlobAndRecordTheReferenceTime() throws Exception
    {
        final byte[] bytes = "holiday".getBytes(StandardCharsets.UTF_8);
        final String blob = upload(ALICE, bytes);
        final Instant created = clock.instant();
        clock.advance(Duration.ofMinutes(5));
        assertEquals(List.of(blob), store.unreferencedSince(created.plusSeconds(1), 10), "before the check");

        final MediaService.RefCheck check = media.verifyNow(ALICE, image(blob, bytes.length, "forged-by-client"));

        assertEquals(MediaService.RefCheck.Outcome.STAMPED, check.outcome());
        final MediaRef stamped = check.content().getMedia();
        assertNotEquals("forged-by-client", stamped.getAccessToken());
        assertEquals(AccessTokens.Verdict.VALID,
            keys.accessTokens(Duration.ofDays(2), clock).verify(blob, stamped.getAccessToken()));
        assertEquals(image(blob, bytes.length, ""),
            check.content().toBuilder().setMedia(stamped.toBuilder().clearAccessToken()).build(),
            "everything else as sent");
        assertEquals(List.of(), store.unreferencedSince(clock.instant(), 10), "referenced now");
        assertEquals(1, counters.mediaRefsVerified.sum());
    }

    @Test
    void shouldRefuseAnotherUsersBlobExactlyAsAMissingOneAndAWrongSize() throws Exception
    {
        final byte[] bytes = "bob's".getBytes(StandardCharsets.UTF_8);
        final String bobs = upload(BOB, bytes);
        final String missing = "d".repeat(64);

        final MediaService.RefCheck others = media.verifyNow(ALICE, image(bobs, bytes.length, ""));
        final MediaService.RefCheck absent = media.verifyNow(ALICE, image(missing, bytes.length, ""));
        final MediaService.RefCheck wrongSize = media.verifyNow(BOB, image(bobs, bytes.length + 1, ""));
        final MediaService.RefCheck malformed = media.verifyNow(BOB, image("D".repeat(64), bytes.length, ""));

        assertEquals(MediaService.RefCheck.Outcome.BAD_REF, others.outcome());
        assertEquals(absent, others, "nothing tells another user's blob from a missing one");
        assertEquals(MediaService.RefCheck.Outcome.BAD_REF, wrongSize.outcome());
        assertTrue(wrongSize.reason().contains("size"), wrongSize.reason());
        assertEquals(MediaService.RefCheck.Outcome.BAD_REF, malformed.outcome());
        assertNull(others.content());
        assertEquals(4, counters.mediaRefusedBadRef.sum());
    }

    @Test
    void shouldPassAReferenceWithoutABlobKeyWithItsAccessTokenCleared()
    {
        final Content external = Content.newBuilder().setType(ContentType.IMAGE).setMedia(MediaRef.newBuilder()
            .setUrl("https://elsewhere.example/p.jpg").setAccessToken("made-up")).build();

        final MediaService.RefCheck check = media.verifyNow(ALICE, external);

        assertEquals(MediaService.RefCheck.Outcome.STAMPED, check.outcome());
        assertEquals("", check.content().getMedia().getAccessToken());
        assertEquals("https://elsewhere.example/p.jpg", check.content().getMedia().getUrl());
    }

    @Test
    void shouldAnswerADownloadUrlForAValidTokenOnlyUntilItExpires() throws Exception
    {
        final byte[] bytes = "to share".getBytes(StandardCharsets.UTF_8);
        final String blob = upload(ALICE, bytes);
        final String token = media.verifyNow(ALICE, image(blob, bytes.length, "")).content().getMedia()
            .getAccessToken();

        final Frame good = media.mediaUrlNow(MediaUrl.newBuilder().setRequestId(5).setBlobKey(blob)
            .setAccessToken(token).build());
        final MediaUrlResult result = good.getMediaUrlResult();
        assertEquals(5, result.getRequestId());
        assertEquals(blob, result.getBlobKey());
        final String prefix = PUBLIC_URL + "/media/v1/blobs/" + blob + "?token=";
        assertTrue(result.getUrl().startsWith(prefix), result.getUrl());
        assertEquals(SignedUrls.Verdict.VALID, keys.signedUrls(clock)
            .verify("GET", "/media/v1/blobs/" + blob, result.getUrl().substring(prefix.length())));
        assertEquals(clock.instant().plus(MediaService.DOWNLOAD_URL_LIFETIME).toEpochMilli(),
            result.getExpiresAtMs());

        final String other = upload(ALICE, "another".getBytes(StandardCharsets.UTF_8));
        for (final MediaUrl bad : new MediaUrl[]{
            MediaUrl.newBuilder().setRequestId(6).setBlobKey(blob).setAccessToken(token + "x").build(),
            MediaUrl.newBuilder().setRequestId(6).setBlobKey(other).setAccessToken(token).build(),
            MediaUrl.newBuilder().setRequestId(6).setBlobKey(blob).build() })
        {
            final Frame refused = media.mediaUrlNow(bad);
            assertEquals(ErrorCode.BAD_MEDIA_REF, refused.getError().getCode(), bad.toString());
            assertEquals(6, refused.getError().getRequestId());
        }
        clock.advance(Duration.ofDays(2));
        assertEquals(ErrorCode.BAD_MEDIA_REF, media.mediaUrlNow(MediaUrl.newBuilder().setBlobKey(blob)
            .setAccessToken(token).build()).getError().getCode(), "expired");
        assertEquals(1, counters.mediaUrls.sum());
        assertEquals(4, counters.mediaRefusedBadToken.sum());
    }

    @Test
    void shouldAnswerOnTheCallersExecutorAndRefuseWhenTheQueueIsFull() throws Exception
    {
        final List<Runnable> mediaThread = new ArrayList<>();
        final List<Runnable> loop = new ArrayList<>();
        final MediaService queued = new MediaService(store, keys.signedUrls(clock),
            keys.accessTokens(null, clock), new MediaService.Settings(PUBLIC_URL, limits, 0, 4096), clock, counters,
            task ->
            {
                if (mediaThread.size() == 1)
                {
                    throw new java.util.concurrent.RejectedExecutionException("full");
                }
                mediaThread.add(task);
            });
        final List<Frame> answers = new ArrayList<>();

        assertTrue(queued.ticket(ALICE, ticket(new byte[]{ 1 }, "image/gif"), loop::add, answers::add));
        assertFalse(queued.mediaUrl(MediaUrl.getDefaultInstance(), loop::add, answers::add), "queue full");
        assertEquals(1, counters.mediaRefusedBusy.sum());
        assertTrue(loop.isEmpty());
        mediaThread.remove(0).run();
        assertTrue(answers.isEmpty(), "answered on the caller's executor, not the media thread");
        loop.remove(0).run();
        assertTrue(answers.get(0).hasUploadTicketResult());
    }

    /**
     * A store that signs direct uploads as an object store would, over the local store: the "bucket" is a map the
     * test puts bytes in, and completion appends them, so the store's own hash check judges them.
     */
    private static final class DirectStore extends ForwardingMediaStore
    {
        /** The bytes "PUT" to each upload, by upload id; the test thread's. */
        final Map<String, byte[]> bucket = new ConcurrentHashMap<>();
        /** Direct uploads in progress: id to blob id. */
        final Map<String, String> direct = new ConcurrentHashMap<>();

        DirectStore(final LocalMediaStore store)
        {
            super(store);
        }

        @Override
        public boolean signsDirectUploads()
        {
            return true;
        }

        @Override
        public Optional<DirectUpload> createDirectUpload(final UploadRequest request)
        {
            final String id = store.createUpload(request);
            direct.put(id, request.sha256());
            return directUpload(id);
        }

        @Override
        public Optional<DirectUpload> directUpload(final String uploadId)
        {
            return direct.containsKey(uploadId) ? Optional.of(new DirectUpload(uploadId,
                URI.create("https://bucket.example.com/incoming/" + uploadId + "?X-Amz-Signature=s"), "PUT",
                List.of(Map.entry("content-type", "image/jpeg"), Map.entry("x-amz-checksum-sha256", "c")),
                store.upload(uploadId).orElseThrow().expiresAt())) : Optional.empty();
        }

        @Override
        public Optional<BlobInfo> completeDirectUpload(final long ownerId, final String blobId)
        {
            for (final Map.Entry<String, String> upload : direct.entrySet())
            {
                final byte[] bytes = bucket.get(upload.getKey());
                if (upload.getValue().equals(blobId) && bytes != null &&
                    store.upload(upload.getKey()).orElseThrow().ownerId() == ownerId)
                {
                    direct.remove(upload.getKey());
                    try
                    {
                        return Optional.of(store.append(upload.getKey(), 0, ByteBuffer.wrap(bytes)).blob());
                    }
                    catch (final io.xin.media.MediaException ex)
                    {
                        return Optional.empty();
                    }
                }
            }
            return Optional.empty();
        }
    }

    private MediaService directService(final DirectStore direct, final boolean on)
    {
        return new MediaService(direct, keys.signedUrls(clock), keys.accessTokens(Duration.ofDays(2), clock),
            new MediaService.Settings(PUBLIC_URL, limits, QUOTA, 4096, on), clock, counters, Runnable::run);
    }

    @Test
    void shouldAnswerADirectUploadWithThePresignedPutAndResumeIt() throws Exception
    {
        final DirectStore direct = new DirectStore(store);
        try (MediaService service = directService(direct, true))
        {
            final byte[] bytes = "a direct photo".getBytes(StandardCharsets.UTF_8);
            final UploadTicketResult result = service.ticketNow(ALICE, ticket(bytes, "image/jpeg"))
                .getUploadTicketResult();
            assertEquals("PUT", result.getUploadMethod());
            final String id = direct.direct.keySet().iterator().next();
            assertEquals("https://bucket.example.com/incoming/" + id + "?X-Amz-Signature=s", result.getUploadUrl());
            assertEquals(List.of(UploadHeader.newBuilder().setName("content-type").setValue("image/jpeg").build(),
                UploadHeader.newBuilder().setName("x-amz-checksum-sha256").setValue("c").build()),
                result.getUploadHeadersList());
            assertEquals("", result.getToken(), "a presigned URL needs no token");
            assertEquals(clock.instant().plus(Duration.ofHours(1)).toEpochMilli(), result.getExpiresAtMs());
            assertFalse(result.getAlreadyStored());

            final UploadTicketResult again = service.ticketNow(ALICE, ticket(bytes, "image/jpeg"))
                .getUploadTicketResult();
            assertEquals(result.getUploadUrl(), again.getUploadUrl(), "the same upload, signed again");
            assertEquals("PUT", again.getUploadMethod());
            assertEquals(1, direct.direct.size());
        }
    }

    @Test
    void shouldCompleteADirectUploadWhenAMessageReferencesIt() throws Exception
    {
        final DirectStore direct = new DirectStore(store);
        try (MediaService service = directService(direct, true))
        {
            final byte[] bytes = "a direct photo".getBytes(StandardCharsets.UTF_8);
            final UploadTicketResult result = service.ticketNow(ALICE, ticket(bytes, "image/jpeg"))
                .getUploadTicketResult();
            final String id = direct.direct.keySet().iterator().next();

            assertEquals(MediaService.RefCheck.Outcome.BAD_REF,
                service.verifyNow(ALICE, image(result.getBlobKey(), bytes.length, "")).outcome(), "not sent yet");

            direct.bucket.put(id, bytes);
            assertEquals(MediaService.RefCheck.Outcome.BAD_REF,
                service.verifyNow(BOB, image(result.getBlobKey(), bytes.length, "")).outcome(), "not Bob's upload");
            final MediaService.RefCheck check = service.verifyNow(ALICE, image(result.getBlobKey(), bytes.length, ""));
            assertEquals(MediaService.RefCheck.Outcome.STAMPED, check.outcome(), check.reason());
            assertEquals(List.of(ALICE), List.copyOf(store.stat(result.getBlobKey()).orElseThrow().owners()));
            assertTrue(store.upload(id).isEmpty());
            assertTrue(service.ticketNow(ALICE, ticket(bytes, "image/jpeg")).getUploadTicketResult()
                .getAlreadyStored());
        }
    }

    @Test
    void shouldRefuseADirectUploadWhoseBytesDoNotMatch() throws Exception
    {
        final DirectStore direct = new DirectStore(store);
        try (MediaService service = directService(direct, true))
        {
            final byte[] bytes = "a direct photo".getBytes(StandardCharsets.UTF_8);
            final UploadTicketResult result = service.ticketNow(ALICE, ticket(bytes, "image/jpeg"))
                .getUploadTicketResult();
            final String id = direct.direct.keySet().iterator().next();
            direct.bucket.put(id, "a direct phot0".getBytes(StandardCharsets.UTF_8));

            assertEquals(MediaService.RefCheck.Outcome.BAD_REF,
                service.verifyNow(ALICE, image(result.getBlobKey(), bytes.length, "")).outcome());
            assertTrue(store.stat(result.getBlobKey()).isEmpty());
        }
    }

    @Test
    void shouldUploadThroughTheMediaServerWhenDirectUploadsAreOff() throws Exception
    {
        final DirectStore direct = new DirectStore(store);
        try (MediaService service = directService(direct, false))
        {
            final UploadTicketResult result = service.ticketNow(ALICE,
                ticket("a photo".getBytes(StandardCharsets.UTF_8), "image/jpeg")).getUploadTicketResult();
            assertEquals("", result.getUploadMethod());
            assertTrue(result.getUploadUrl().startsWith(PUBLIC_URL + "/media/v1/uploads/"), result.getUploadUrl());
            assertEquals(0, result.getUploadHeadersCount());
            assertTrue(direct.direct.isEmpty());
        }
    }
}
