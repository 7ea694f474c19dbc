package io.xin.core.media;

import io.xin.core.concurrent.WorkerPools;
import io.xin.core.device.Frames;
import io.xin.core.status.SwitchCounters;
import io.xin.media.BlobInfo;
import io.xin.media.DirectUpload;
import io.xin.media.MediaException;
import io.xin.media.MediaIds;
import io.xin.media.MediaLimits;
import io.xin.media.MediaStore;
import io.xin.media.SignedUrls;
import io.xin.media.UploadRequest;
import io.xin.media.UploadStatus;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.MediaUrl;
import io.xin.protocol.pb.MediaUrlResult;
import io.xin.protocol.pb.UploadHeader;
import io.xin.protocol.pb.UploadTicket;
import io.xin.protocol.pb.UploadTicketResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The switch's side of media: it answers {@code UploadTicket} (where and how to upload, within the limits and the
 * quota), checks the {@code MediaRef} of a message before it is stored (the blob exists, the sender is among its
 * owners, the size matches), stamps the capability to read it ({@code MediaRef.access_token}, {@link AccessTokens})
 * and answers {@code MediaUrl} (a short-lived download URL for a valid capability). The bytes never pass through
 * here: clients upload to and download from the media HTTP server, or the object store, directly.
 * <p>
 * Privacy: a ticket says {@code already_stored} only to an owner of the blob, and a reference to a blob the sender
 * does not own is refused exactly as one to a blob that does not exist, so nobody learns that someone else stored
 * the same bytes.
 * <p>
 * Threading: every store call is blocking file or network I/O, so none runs on a session's event loop or a journal
 * thread. {@link #ticket}, {@link #verify} and {@link #mediaUrl} hand the work to a small executor of the service's
 * own and its answer back to the executor the caller names (the session's event loop); they return false at once,
 * doing nothing, when that executor's queue is full. The {@code ...Now} methods do the same work on the calling
 * thread. Safe from any thread.
 */
public final class MediaService implements AutoCloseable
{
    /** Path of an upload on the media HTTP server, before its id; tokens sign this path. */
    public static final String UPLOADS_PATH = SignedUrls.UPLOADS_PATH;
    /** Path of a blob on the media HTTP server, before its id; tokens sign this path. */
    public static final String BLOBS_PATH = SignedUrls.BLOBS_PATH;
    /** How long a download URL works: long enough for a large video on a slow link; ask again after. */
    public static final Duration DOWNLOAD_URL_LIFETIME = Duration.ofHours(1);
    /** Media threads: a few, as store calls are short (a stat, a small file write) and never on the hot path. */
    public static final int DEFAULT_THREADS = 2;
    /** Media requests waiting for a media thread before new ones are refused as BUSY. */
    public static final int DEFAULT_QUEUE_CAPACITY = 4096;
    /** An upload this close to its expiry is not resumed: its token could expire before the client uses it. */
    static final Duration MIN_RESUME_LEFT = Duration.ofMinutes(1);
    /** Uploads listed when the index of uploads in progress is rebuilt: every one, however long it lives. */
    private static final Duration INDEX_HORIZON = Duration.ofDays(3650);
    private static final int OWNER_LOCKS = 64;

    private static final Logger LOG = LoggerFactory.getLogger(MediaService.class);

    /**
     * What the switch's media settings say.
     *
     * @param publicUrl     where clients reach the media HTTP server, such as {@code https://media.example.com}; no
     *                      trailing slash.
     * @param limits        the size limits, uploads in progress per user, and the upload lifetime.
     * @param quotaBytes    bytes one user may hold (blobs owned plus uploads in progress); 0 = no quota.
     * @param maxChunkBytes the largest PATCH body the media HTTP server takes.
     * @param directUploads whether new uploads go straight to the object store ({@link MediaStore#createDirectUpload})
     *                      instead of through the media HTTP server.
     */
    public record Settings(String publicUrl, MediaLimits limits, long quotaBytes, int maxChunkBytes,
        boolean directUploads)
    {
        /**
         * Settings with uploads through the media HTTP server.
         */
        public Settings(final String publicUrl, final MediaLimits limits, final long quotaBytes,
            final int maxChunkBytes)
        {
            this(publicUrl, limits, quotaBytes, maxChunkBytes, false);
        }

        /**
         * @throws IllegalArgumentException if a value is missing or out of range.
         */
        public Settings
        {
            if (publicUrl == null || publicUrl.isBlank() || limits == null || quotaBytes < 0 || maxChunkBytes < 1)
            {
                throw new IllegalArgumentException("publicUrl and limits are required, quotaBytes >= 0 and " +
                    "maxChunkBytes >= 1: " + publicUrl + ", " + limits + ", " + quotaBytes + ", " + maxChunkBytes);
            }
            publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
        }
    }

    /**
     * What the check of a message's media reference found.
     *
     * @param outcome what it found.
     * @param content the content to store, its {@code access_token} stamped, when {@link Outcome#STAMPED}.
     * @param reason  why it was refused or failed, in words, otherwise.
     */
    public record RefCheck(Outcome outcome, Content content, String reason)
    {
        /** The kinds of {@link RefCheck}. */
        public enum Outcome
        {
            /** Checked, touched and stamped: store {@link RefCheck#content()}. */
            STAMPED,
            /** Not a blob of the sender's of that size: refuse the message with BAD_MEDIA_REF. */
            BAD_REF,
            /** The store failed: refuse the message as BUSY, the client resends it. */
            FAILED
        }
    }

    /** An upload in progress as the index knows it: its owner's, of these bytes. */
    private record UploadKey(long ownerId, String sha256, long size)
    {
    }

    private final MediaStore store;
    private final SignedUrls urls;
    private final AccessTokens tokens;
    private final Settings settings;
    private final Clock clock;
    private final SwitchCounters counters;
    /** Runs the store calls; the service's own pool, or one a test gave. */
    private final Executor executor;
    /** {@link #executor} when the service made it, to be shut down by {@link #close()}; else null. */
    private final ExecutorService ownExecutor;
    /**
     * Uploads in progress by owner and bytes, so that asking again for the same bytes resumes the upload instead of
     * starting another: rebuilt from the store by {@link #start()}, pruned by {@link #sweep()}. Any media thread.
     */
    private final Map<UploadKey, String> uploads = new ConcurrentHashMap<>();
    /** A user's tickets one at a time, so two devices asking for the same bytes at once get one upload. */
    private final Object[] ownerLocks = new Object[OWNER_LOCKS];
    /** Requests handed to {@link #executor} and not yet started: bounds its queue, which is unbounded and lock-free. */
    private final AtomicInteger queued = new AtomicInteger();
    private final int queueCapacity;

    /**
     * A service with its own media threads ({@link #DEFAULT_THREADS}, queue {@link #DEFAULT_QUEUE_CAPACITY}).
     *
     * @param store    the media store; the caller keeps it open until after {@link #close()}.
     * @param urls     signs upload and download URLs; the media HTTP server verifies them with the same keys.
     * @param tokens   makes and checks access tokens.
     * @param settings the media settings.
     * @param clock    the time of expiries and references.
     * @param counters where tickets, references, URLs and refusals are counted.
     */
    public MediaService(
        final MediaStore store,
        final SignedUrls urls,
        final AccessTokens tokens,
        final Settings settings,
        final Clock clock,
        final SwitchCounters counters)
    {
        this(store, urls, tokens, settings, clock, counters, null);
    }

    /**
     * @param executor runs the store calls; null for the service's own threads.
     */
    public MediaService(
        final MediaStore store,
        final SignedUrls urls,
        final AccessTokens tokens,
        final Settings settings,
        final Clock clock,
        final SwitchCounters counters,
        final Executor executor)
    {
        if (store == null || urls == null || tokens == null || settings == null || clock == null || counters == null)
        {
            throw new IllegalArgumentException("store, urls, tokens, settings, clock and counters are required");
        }
        this.store = store;
        this.urls = urls;
        this.tokens = tokens;
        this.settings = settings;
        this.clock = clock;
        this.counters = counters;
        this.ownExecutor = executor == null ? newExecutor(DEFAULT_THREADS) : null;
        this.executor = executor == null ? ownExecutor : executor;
        this.queueCapacity = DEFAULT_QUEUE_CAPACITY;
        for (int i = 0; i < ownerLocks.length; i++)
        {
            ownerLocks[i] = new Object();
        }
    }

    /**
     * Rebuilds the index of uploads in progress from the store, on a media thread, so that uploads begun before a
     * restart are resumed rather than begun again.
     */
    public void start()
    {
        submit(() ->
        {
            try
            {
                int found = 0;
                for (final String uploadId : store.expiredUploads(clock.instant().plus(INDEX_HORIZON)))
                {
                    final Optional<UploadStatus> upload = store.upload(uploadId);
                    if (upload.isPresent())
                    {
                        final UploadStatus status = upload.get();
                        uploads.putIfAbsent(new UploadKey(status.ownerId(), status.sha256(), status.size()), uploadId);
                        found++;
                    }
                }
                LOG.info("Media: {} uploads in progress", found);
            }
            catch (final RuntimeException ex)
            {
                counters.mediaStoreFailures.increment();
                LOG.warn("Media: the uploads in progress could not be listed; they are not resumed: {}", ex.toString());
            }
        });
    }

    /**
     * Forgets, on a media thread, uploads that completed, expired or were deleted. Run it now and then (the switch
     * does, every minute).
     */
    public void sweep()
    {
        submit(() ->
        {
            final Instant now = clock.instant();
            for (final Map.Entry<UploadKey, String> entry : uploads.entrySet())
            {
                try
                {
                    final Optional<UploadStatus> upload = store.upload(entry.getValue());
                    if (upload.isEmpty() || !upload.get().expiresAt().isAfter(now))
                    {
                        uploads.remove(entry.getKey(), entry.getValue());
                    }
                }
                catch (final RuntimeException ex)
                {
                    counters.mediaStoreFailures.increment();
                    return;
                }
            }
        });
    }

    /**
     * Answers an {@code UploadTicket} on a media thread.
     *
     * @param ownerId the requester.
     * @param ticket  the request.
     * @param replyOn where to run {@code reply}: the session's event loop.
     * @param reply   takes the answer: an {@code UploadTicketResult} or an {@code Error}.
     * @return false when the media threads' queue is full: nothing was done, answer BUSY.
     */
    public boolean ticket(
        final long ownerId, final UploadTicket ticket, final Executor replyOn, final Consumer<Frame> reply)
    {
        return submit(() -> ticketNow(ownerId, ticket), replyOn, reply);
    }

    /**
     * Checks a message's media reference on a media thread.
     *
     * @param senderId the sender.
     * @param content  the message's content, with a {@code media} reference.
     * @param replyOn  where to run {@code reply}: the session's event loop.
     * @param reply    takes the outcome.
     * @return false when the media threads' queue is full: nothing was done, answer BUSY.
     */
    public boolean verify(
        final long senderId, final Content content, final Executor replyOn, final Consumer<RefCheck> reply)
    {
        return submit(() -> verifyNow(senderId, content), replyOn, reply);
    }

    /**
     * Answers a {@code MediaUrl} on a media thread.
     *
     * @param request the request.
     * @param replyOn where to run {@code reply}: the session's event loop.
     * @param reply   takes the answer: a {@code MediaUrlResult} or an {@code Error}.
     * @return false when the media threads' queue is full: nothing was done, answer BUSY.
     */
    public boolean mediaUrl(final MediaUrl request, final Executor replyOn, final Consumer<Frame> reply)
    {
        return submit(() -> mediaUrlNow(request), replyOn, reply);
    }

    /**
     * Answers an {@code UploadTicket} on this thread (blocking): the requester's blob if they stored these bytes
     * before, else their upload in progress of these bytes, else a new upload within the size limit, the uploads in
     * progress and the quota. A new upload is a presigned PUT straight to the bucket with
     * {@code media-s3-direct-uploads}, else a tus upload to this switch's media server; an upload in progress is
     * answered as it was made.
     *
     * @param ownerId the requester.
     * @param ticket  the request.
     * @return an {@code UploadTicketResult}, or an {@code Error}: BAD_REQUEST, MEDIA_TOO_LARGE, QUOTA_EXCEEDED,
     *         INTERNAL (the store failed).
     */
    public Frame ticketNow(final long ownerId, final UploadTicket ticket)
    {
        final long requestId = ticket.getRequestId();
        final long size = ticket.getSizeBytes();
        if (size < 1)
        {
            return refusedBadRequest(requestId, "size_bytes must be at least 1");
        }
        if (ticket.getSha256().size() != 32)
        {
            return refusedBadRequest(requestId, "sha256 must be the 32 bytes of a SHA-256");
        }
        final String contentType;
        try
        {
            contentType = MediaIds.requireContentType(ticket.getContentType());
        }
        catch (final MediaException ex)
        {
            return refusedBadRequest(requestId, "content_type must be type/subtype, such as image/jpeg");
        }
        final long maxBytes = settings.limits().maxBytesFor(contentType);
        if (size > maxBytes)
        {
            return refusedTooLarge(requestId, size, contentType, maxBytes);
        }
        final String sha256 = MediaIds.blobId(ticket.getSha256().toByteArray());
        try
        {
            synchronized (ownerLocks[Math.floorMod(Long.hashCode(ownerId), OWNER_LOCKS)])
            {
                return ticketOfOwner(requestId, ownerId, size, contentType, sha256);
            }
        }
        catch (final MediaException ex)
        {
            switch (ex.reason())
            {
                case TOO_LARGE:
                    return refusedTooLarge(requestId, size, contentType, maxBytes);
                case TOO_MANY_UPLOADS:
                    counters.mediaRefusedQuota.increment();
                    return Frames.error(requestId, ErrorCode.QUOTA_EXCEEDED, "already " +
                        settings.limits().maxUploadsPerOwner() + " uploads in progress: finish or wait for one", false);
                case INVALID_ARGUMENT:
                    return refusedBadRequest(requestId, ex.getMessage());
                default:
                    return storeFailed(requestId, "upload ticket", ex);
            }
        }
        catch (final RuntimeException ex)
        {
            return storeFailed(requestId, "upload ticket", ex);
        }
    }

    /** Under the owner's lock: already stored, resumed, or a new upload. */
    private Frame ticketOfOwner(
        final long requestId, final long ownerId, final long size, final String contentType, final String sha256)
    {
        final Optional<BlobInfo> blob = store.stat(sha256);
        if (blob.isPresent() && blob.get().owners().contains(ownerId) && blob.get().size() == size)
        {
            counters.mediaTicketsAlreadyStored.increment();
            return Frame.newBuilder().setUploadTicketResult(UploadTicketResult.newBuilder()
                .setRequestId(requestId)
                .setBlobKey(sha256)
                .setOffset(size)
                .setMaxChunkBytes(settings.maxChunkBytes())
                .setAlreadyStored(true))
                .build();
        }
        final Instant now = clock.instant();
        final UploadKey key = new UploadKey(ownerId, sha256, size);
        final String known = uploads.get(key);
        if (known != null)
        {
            final Optional<UploadStatus> upload = store.upload(known);
            if (upload.isPresent() && upload.get().ownerId() == ownerId &&
                upload.get().expiresAt().isAfter(now.plus(MIN_RESUME_LEFT)))
            {
                counters.mediaTicketsResumed.increment();
                // A direct upload is signed again, whatever the setting now says: it takes no PATCH.
                final Optional<DirectUpload> direct = store.directUpload(known);
                if (direct.isPresent())
                {
                    return directTicketResult(requestId, sha256, direct.get());
                }
                return uploadTicketResult(requestId, sha256, known, upload.get().expiresAt(), upload.get().offset());
            }
            uploads.remove(key, known);
        }
        final long quota = settings.quotaBytes();
        if (quota > 0)
        {
            final long usage = store.usage(ownerId);
            if (size > quota - usage)
            {
                counters.mediaRefusedQuota.increment();
                return Frames.error(requestId, ErrorCode.QUOTA_EXCEEDED, "over the storage quota: " + usage +
                    " of " + quota + " bytes used, " + size + " more asked", false);
            }
        }
        // Whole seconds: the token's expiry (SignedUrls keeps seconds) and the upload's are then the same instant.
        final Instant expiresAt = Instant.ofEpochSecond(
            now.getEpochSecond() + settings.limits().maxUploadLifetime().getSeconds());
        final UploadRequest request = new UploadRequest(ownerId, size, contentType, sha256, expiresAt);
        if (settings.directUploads())
        {
            final Optional<DirectUpload> direct = store.createDirectUpload(request);
            if (direct.isPresent())
            {
                uploads.put(key, direct.get().uploadId());
                counters.mediaTicketsNew.increment();
                return directTicketResult(requestId, sha256, direct.get());
            }
        }
        final String uploadId = store.createUpload(request);
        uploads.put(key, uploadId);
        counters.mediaTicketsNew.increment();
        return uploadTicketResult(requestId, sha256, uploadId, expiresAt, 0);
    }

    private static Frame directTicketResult(final long requestId, final String sha256, final DirectUpload direct)
    {
        final UploadTicketResult.Builder result = UploadTicketResult.newBuilder()
            .setRequestId(requestId)
            .setBlobKey(sha256)
            .setUploadUrl(direct.url().toString())
            .setUploadMethod(direct.method())
            .setExpiresAtMs(direct.expiresAt().toEpochMilli());
        for (final Map.Entry<String, String> header : direct.headers())
        {
            result.addUploadHeaders(UploadHeader.newBuilder().setName(header.getKey()).setValue(header.getValue()));
        }
        return Frame.newBuilder().setUploadTicketResult(result).build();
    }

    private Frame uploadTicketResult(
        final long requestId, final String sha256, final String uploadId, final Instant expiresAt, final long offset)
    {
        return Frame.newBuilder().setUploadTicketResult(UploadTicketResult.newBuilder()
            .setRequestId(requestId)
            .setBlobKey(sha256)
            .setUploadUrl(settings.publicUrl() + UPLOADS_PATH + uploadId)
            // One token for HEAD, PATCH and DELETE of this upload: the media HTTP server checks "PATCH" for all.
            .setToken(urls.sign("PATCH", UPLOADS_PATH + uploadId, expiresAt))
            .setExpiresAtMs(expiresAt.toEpochMilli())
            .setOffset(offset)
            .setMaxChunkBytes(settings.maxChunkBytes()))
            .build();
    }

    /**
     * Checks a message's media reference on this thread (blocking): a blob of that key exists, the sender is among its
     * owners, and its size is {@code size_bytes}; then records the reference on the blob and stamps a new access
     * token, replacing whatever the client put there. A blob not stored yet may be the sender's direct upload, put
     * straight into the bucket: the store completes it first (checks its length and hash, then stores it). A reference without a blob key (media kept elsewhere) is
     * passed with its access token cleared, without asking the store.
     *
     * @param senderId the sender.
     * @param content  the message's content.
     * @return the outcome; never throws.
     */
    public RefCheck verifyNow(final long senderId, final Content content)
    {
        final MediaRef ref = content.getMedia();
        final String blobId = ref.getBlobKey();
        if (blobId.isEmpty())
        {
            return new RefCheck(RefCheck.Outcome.STAMPED, ref.getAccessToken().isEmpty() ? content :
                content.toBuilder().setMedia(ref.toBuilder().clearAccessToken()).build(), null);
        }
        if (!MediaIds.isBlobId(blobId))
        {
            return badRef("media.blob_key must be a blob key: 64 lowercase hex digits");
        }
        try
        {
            Optional<BlobInfo> blob = store.stat(blobId);
            if (blob.isEmpty() || !blob.get().owners().contains(senderId))
            {
                // The sender's direct upload of these bytes, if it sent them, becomes the blob now.
                final Optional<BlobInfo> completed = store.completeDirectUpload(senderId, blobId);
                if (completed.isPresent())
                {
                    blob = completed;
                }
            }
            // Someone else's blob is refused as a missing one: nobody learns what others stored.
            if (blob.isEmpty() || !blob.get().owners().contains(senderId))
            {
                return badRef("no blob of the sender's has this media.blob_key: upload it first");
            }
            if (blob.get().size() != ref.getSizeBytes())
            {
                return badRef("media.size_bytes " + ref.getSizeBytes() + " is not the blob's size " +
                    blob.get().size());
            }
            if (!store.touch(blobId, clock.instant()))
            {
                return badRef("no blob of the sender's has this media.blob_key: upload it first");
            }
        }
        catch (final RuntimeException ex)
        {
            counters.mediaStoreFailures.increment();
            LOG.warn("Media store failed checking a reference to blob {}: {}", blobId, ex.toString());
            return new RefCheck(RefCheck.Outcome.FAILED, null, "media store failed; resend");
        }
        counters.mediaRefsVerified.increment();
        return new RefCheck(RefCheck.Outcome.STAMPED,
            content.toBuilder().setMedia(ref.toBuilder().setAccessToken(tokens.issue(blobId))).build(), null);
    }

    /**
     * Answers a {@code MediaUrl} on this thread (blocking): for a valid access token of the blob, a URL that reads it
     * until {@link #DOWNLOAD_URL_LIFETIME} from now: the store's own (object storage) or the media HTTP server's.
     *
     * @param request the request.
     * @return a {@code MediaUrlResult}, or an {@code Error}: BAD_MEDIA_REF, INTERNAL (the store failed).
     */
    public Frame mediaUrlNow(final MediaUrl request)
    {
        final long requestId = request.getRequestId();
        final String blobId = request.getBlobKey();
        final AccessTokens.Verdict verdict = tokens.verify(blobId, request.getAccessToken());
        if (verdict != AccessTokens.Verdict.VALID)
        {
            counters.mediaRefusedBadToken.increment();
            return Frames.error(requestId, ErrorCode.BAD_MEDIA_REF, verdict == AccessTokens.Verdict.EXPIRED ?
                "access_token expired with the message" : "access_token is not valid for this blob_key", false);
        }
        final Instant expiresAt = Instant.ofEpochSecond(
            clock.instant().getEpochSecond() + DOWNLOAD_URL_LIFETIME.getSeconds());
        final String url;
        try
        {
            if (store.stat(blobId).isEmpty())
            {
                counters.mediaRefusedBadToken.increment();
                return Frames.error(requestId, ErrorCode.BAD_MEDIA_REF, "the blob is gone", false);
            }
            final Optional<URI> presigned = store.presignedRead(blobId, expiresAt);
            url = presigned.isPresent() ? presigned.get().toString() : settings.publicUrl() + BLOBS_PATH + blobId +
                "?token=" + urls.sign("GET", BLOBS_PATH + blobId, expiresAt);
        }
        catch (final RuntimeException ex)
        {
            return storeFailed(requestId, "download URL", ex);
        }
        counters.mediaUrls.increment();
        return Frame.newBuilder().setMediaUrlResult(MediaUrlResult.newBuilder()
            .setRequestId(requestId)
            .setBlobKey(blobId)
            .setUrl(url)
            .setExpiresAtMs(expiresAt.toEpochMilli()))
            .build();
    }

    /**
     * @return the media settings.
     */
    public Settings settings()
    {
        return settings;
    }

    /**
     * @return the store.
     */
    public MediaStore store()
    {
        return store;
    }

    /**
     * Stops the service's own media threads after the work queued; answers not yet given are dropped (their
     * sessions are closing). Does not close the store, which its owner closes after this.
     */
    @Override
    public void close()
    {
        if (ownExecutor == null)
        {
            return;
        }
        WorkerPools.stop(ownExecutor);
    }

    private <T> boolean submit(final Supplier<T> work, final Executor replyOn, final Consumer<T> reply)
    {
        return submit(() ->
        {
            final T answer = work.get();
            try
            {
                replyOn.execute(() -> reply.accept(answer));
            }
            catch (final RejectedExecutionException ex)
            {
                // The session's loop is shutting down: its channel is closing, nobody to answer.
            }
        });
    }

    private boolean submit(final Runnable work)
    {
        if (queued.incrementAndGet() > queueCapacity)
        {
            queued.decrementAndGet();
            counters.mediaRefusedBusy.increment();
            return false;
        }
        try
        {
            executor.execute(() ->
            {
                queued.decrementAndGet();
                work.run();
            });
            return true;
        }
        catch (final RejectedExecutionException ex)
        {
            queued.decrementAndGet();
            counters.mediaRefusedBusy.increment();
            return false;
        }
    }

    private Frame refusedBadRequest(final long requestId, final String message)
    {
        counters.mediaRefusedBadRequest.increment();
        return Frames.error(requestId, ErrorCode.BAD_REQUEST, message, false);
    }

    private Frame refusedTooLarge(final long requestId, final long size, final String contentType, final long max)
    {
        counters.mediaRefusedTooLarge.increment();
        return Frames.error(requestId, ErrorCode.MEDIA_TOO_LARGE, "size_bytes " + size + " is over the limit of " +
            max + " bytes for " + contentType, false);
    }

    private RefCheck badRef(final String reason)
    {
        counters.mediaRefusedBadRef.increment();
        return new RefCheck(RefCheck.Outcome.BAD_REF, null, reason);
    }

    private Frame storeFailed(final long requestId, final String what, final RuntimeException ex)
    {
        counters.mediaStoreFailures.increment();
        LOG.warn("Media store failed answering a {} request: {}", what, ex.toString());
        return Frames.error(requestId, ErrorCode.INTERNAL, "media store failed; try again later", false);
    }

    private static ExecutorService newExecutor(final int threads)
    {
        final AtomicInteger count = new AtomicInteger();
        // Event loops submit: an ArrayBlockingQueue would make them wait on its lock while a media thread holds it.
        // LinkedTransferQueue offers without a lock, and with every thread started up front the executor never takes
        // its own lock (as the sync readers do); the bound is the counter in submit.
        final ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
            new LinkedTransferQueue<>(), runnable ->
            {
                final Thread thread = new Thread(runnable, "xin-media-requests-" + count.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
        pool.prestartAllCoreThreads();
        return pool;
    }
}
