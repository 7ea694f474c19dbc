package io.xin.client.media;

import io.xin.client.XinClient;
import io.xin.client.XinClientException;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.UploadHeader;
import io.xin.protocol.pb.UploadTicketResult;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Uploads media to the switch's media server, resumably (docs/protocol.md, media).
 * <p>
 * An upload asks the switch for a ticket ({@code UploadTicket}: size, content type, SHA-256), then sends the bytes
 * over HTTP with the tus 1.0.0 core protocol: {@code PATCH} chunks of at most the ticket's {@code max_chunk_bytes},
 * each at the offset the server holds. When a connection drops, a request times out or the server answers 5xx or
 * 503, it waits a backoff, asks the server where it stands ({@code HEAD}: the bytes received before the drop are
 * kept) and goes on from there, at most {@link RetryPolicy#maxRetries()} times in a row without progress. When the
 * token expired or the upload is gone (401, 404, 410), it asks for a fresh ticket, which names the same upload and
 * its offset while it is still in progress. Bytes the server already holds as a blob of this user
 * ({@code already_stored}) are not sent again.
 * <p>
 * A ticket whose {@code upload_method} is {@code PUT} is a direct upload to the object store: the whole body goes
 * in one PUT to the presigned {@code upload_url} with the ticket's {@code upload_headers}, no token. A dropped
 * connection or a 5xx sends it again from the start, within the same retry budget; an expired URL (403, or the
 * ticket's expiry passed) asks for a fresh ticket. The switch checks the bytes when a message references them.
 * <p>
 * {@link #upload} blocks the calling thread on network I/O: never call it on a {@link XinClient}'s event loop (from
 * a listener or a future's callback); {@link #uploadAsync} runs it on an executor.
 * <p>
 * Thread safe: uploads share only the {@link HttpClient}.
 */
public final class MediaUploader
{
    /** The tus version spoken. */
    static final String TUS_VERSION = "1.0.0";
    /** The completing PATCH's header naming the blob. */
    static final String BLOB_KEY_HEADER = "Xin-Blob-Key";
    /** The media server's answer to a completed upload whose bytes do not match the declared SHA-256. */
    static final int STATUS_HASH_MISMATCH = 460;
    /** The {@code upload_method} of a direct upload to the object store. */
    static final String DIRECT_METHOD = "PUT";

    private final HttpClient http;
    private final Tickets tickets;
    private final Options options;

    /**
     * Asks the switch for an upload ticket; {@code XinClient::uploadTicket}.
     */
    @FunctionalInterface
    public interface Tickets
    {
        /**
         * @param sizeBytes   the bytes to upload.
         * @param contentType their content type.
         * @param sha256      their SHA-256, 32 bytes.
         * @param durationMs  voice and video length, else 0.
         * @return the switch's answer.
         */
        CompletableFuture<UploadTicketResult> uploadTicket(
            long sizeBytes, String contentType, byte[] sha256, int durationMs);
    }

    /**
     * What an upload did.
     *
     * @param blobKey       the blob's key (SHA-256, hex): {@code MediaRef.blob_key}.
     * @param sizeBytes     its size: {@code MediaRef.size_bytes}.
     * @param alreadyStored the user had stored these bytes before: nothing was sent.
     * @param resumes       times the upload went on from the server's offset after a failure; 0 for a direct upload,
     *                      which starts again from the beginning.
     * @param tickets       tickets asked for (1 unless a token expired or the upload was lost).
     * @param bytesSent     bytes sent in PATCH or PUT bodies, those of failed requests included.
     */
    public record Result(String blobKey, long sizeBytes, boolean alreadyStored, int resumes, int tickets,
        long bytesSent)
    {
    }

    /**
     * How an upload goes.
     *
     * @param chunkBytes    the largest PATCH body, lowered to the ticket's {@code max_chunk_bytes}; smaller chunks
     *                      report progress more often and lose less to a drop, larger ones take fewer round trips.
     * @param retry         how often and how patiently to try again.
     * @param maxTickets    tickets one upload may ask for, the first included.
     * @param ticketTimeout the longest wait for the switch's answer to a ticket.
     * @param chunkTimeout  the longest a PATCH or HEAD may take, from sending it to its answer.
     */
    public record Options(int chunkBytes, RetryPolicy retry, int maxTickets, Duration ticketTimeout,
        Duration chunkTimeout)
    {
        /** 8 MiB chunks, {@link RetryPolicy#DEFAULT}, 4 tickets, 30 s for a ticket, 120 s for a chunk. */
        public static final Options DEFAULT = new Options(8 * 1024 * 1024, RetryPolicy.DEFAULT, 4,
            Duration.ofSeconds(30), Duration.ofSeconds(120));

        /**
         * @throws IllegalArgumentException if a value is out of range.
         */
        public Options
        {
            Objects.requireNonNull(retry, "retry");
            Objects.requireNonNull(ticketTimeout, "ticketTimeout");
            Objects.requireNonNull(chunkTimeout, "chunkTimeout");
            if (chunkBytes < 1 || maxTickets < 1 || ticketTimeout.isNegative() || ticketTimeout.isZero() ||
                chunkTimeout.isNegative() || chunkTimeout.isZero())
            {
                throw new IllegalArgumentException("chunkBytes, maxTickets and the timeouts must be positive");
            }
        }

        /**
         * @param chunkBytes the largest PATCH body.
         * @return these options with that chunk size.
         */
        public Options withChunkBytes(final int chunkBytes)
        {
            return new Options(chunkBytes, retry, maxTickets, ticketTimeout, chunkTimeout);
        }

        /**
         * @param retry the retry policy.
         * @return these options with that policy.
         */
        public Options withRetry(final RetryPolicy retry)
        {
            return new Options(chunkBytes, retry, maxTickets, ticketTimeout, chunkTimeout);
        }
    }

    /**
     * @param http    the HTTP client; requests go as HTTP/1.1.
     * @param tickets where tickets come from: {@code client::uploadTicket}.
     */
    public MediaUploader(final HttpClient http, final Tickets tickets)
    {
        this(http, tickets, Options.DEFAULT);
    }

    /**
     * @param http    the HTTP client; requests go as HTTP/1.1.
     * @param tickets where tickets come from: {@code client::uploadTicket}.
     * @param options chunk size, retries, timeouts.
     */
    public MediaUploader(final HttpClient http, final Tickets tickets, final Options options)
    {
        this.http = Objects.requireNonNull(http, "http");
        this.tickets = Objects.requireNonNull(tickets, "tickets");
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * Uploads, resuming after failures, until the server holds the whole blob.
     *
     * @param source      the bytes.
     * @param contentType "image/jpeg", "audio/ogg", ...: its family sets the size limit.
     * @param durationMs  voice and video length in milliseconds, else 0.
     * @param progress    told how far the upload is.
     * @return the blob and what it took.
     * @throws MediaTransferException if the media server refused the upload for good or the retries ran out.
     * @throws XinClientException     if the switch refused the ticket (MEDIA_TOO_LARGE, QUOTA_EXCEEDED, ...).
     * @throws IOException            if reading the source failed.
     * @throws InterruptedException   if interrupted.
     */
    public Result upload(
        final MediaSource source, final String contentType, final int durationMs, final TransferProgress progress)
        throws IOException, InterruptedException
    {
        return new Upload(source, contentType, durationMs, progress).run();
    }

    /**
     * {@link #upload} on an executor.
     *
     * @param executor runs the upload; it blocks one of its threads for the upload's length.
     * @return completes with the result, or with the failure {@link #upload} would throw.
     */
    public CompletableFuture<Result> uploadAsync(
        final MediaSource source, final String contentType, final int durationMs, final TransferProgress progress,
        final Executor executor)
    {
        return CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return upload(source, contentType, durationMs, progress);
            }
            catch (final IOException ex)
            {
                throw new CompletionException(ex);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new CompletionException(ex);
            }
        }, executor);
    }

    /**
     * One upload's state. Owned by the thread running it.
     */
    private final class Upload
    {
        private final MediaSource source;
        private final String contentType;
        private final int durationMs;
        private final TransferProgress progress;
        private final long size;
        private final String blobKey;

        private UploadTicketResult ticket;
        private URI uploadUri;
        private int chunkBytes;
        private byte[] buffer;
        /** Bytes the server holds, as far as this upload knows. */
        private long offset;
        /** The offset is stale (a request failed): ask the server with HEAD before the next PATCH. */
        private boolean needHead;
        private int failures;
        private int resumes;
        private int ticketsAsked;
        /** The first ticket said these bytes are stored already: nothing was sent. */
        private boolean storedBefore;
        private long bytesSent;
        private int lastStatus;
        private Throwable lastFailure;

        Upload(final MediaSource source, final String contentType, final int durationMs,
            final TransferProgress progress)
        {
            this.source = Objects.requireNonNull(source, "source");
            this.contentType = Objects.requireNonNull(contentType, "contentType");
            this.durationMs = durationMs;
            this.progress = progress != null ? progress : TransferProgress.NONE;
            this.size = source.size();
            this.blobKey = source.blobKey();
        }

        Result run() throws IOException, InterruptedException
        {
            if (!newTicket())
            {
                return result();
            }
            while (true)
            {
                if (DIRECT_METHOD.equals(ticket.getUploadMethod()))
                {
                    if (put())
                    {
                        return result();
                    }
                    continue;
                }
                if (needHead)
                {
                    head();
                    continue;
                }
                if (offset >= size)
                {
                    // Reached through HEAD, or a fresh ticket said the blob is stored: the server completed the
                    // upload with a chunk whose answer was lost.
                    return result();
                }
                if (patch())
                {
                    return result();
                }
            }
        }

        /**
         * Asks for a ticket and starts from its offset.
         *
         * @return false when the blob is already stored: nothing to upload.
         */
        private boolean newTicket() throws IOException, InterruptedException
        {
            while (true)
            {
                if (ticketsAsked == options.maxTickets())
                {
                    throw new MediaTransferException(lastStatus, "upload of " + blobKey + " gave up after " +
                        ticketsAsked + " tickets", lastFailure);
                }
                ticketsAsked++;
                final UploadTicketResult answer;
                try
                {
                    answer = tickets.uploadTicket(size, contentType, source.sha256(), durationMs)
                        .get(options.ticketTimeout().toMillis(), TimeUnit.MILLISECONDS);
                }
                catch (final ExecutionException ex)
                {
                    final Throwable cause = ex.getCause();
                    if (cause instanceof XinClientException refused &&
                        refused.code() != ErrorCode.ERROR_CODE_UNSPECIFIED)
                    {
                        throw refused;
                    }
                    // The long connection dropped before the answer (the client reconnects), or the client is not
                    // logged in yet: ask again after a backoff. Not an answered ticket.
                    ticketsAsked--;
                    failed(0, cause);
                    continue;
                }
                catch (final TimeoutException ex)
                {
                    ticketsAsked--;
                    failed(0, ex);
                    continue;
                }
                if (!answer.getAlreadyStored() && !answer.getBlobKey().isEmpty() &&
                    !answer.getBlobKey().equals(blobKey))
                {
                    throw new MediaTransferException(0, "ticket names blob " + answer.getBlobKey() +
                        ", the bytes are " + blobKey, null);
                }
                ticket = answer;
                needHead = false;
                if (answer.getAlreadyStored())
                {
                    storedBefore = ticketsAsked == 1;
                    offset = size;
                    progress.onProgress(size, size);
                    return false;
                }
                try
                {
                    uploadUri = URI.create(answer.getUploadUrl());
                }
                catch (final IllegalArgumentException ex)
                {
                    throw new MediaTransferException(0, "ticket has no valid upload URL: " + answer.getUploadUrl(), ex);
                }
                chunkBytes = answer.getMaxChunkBytes() > 0 ?
                    Math.min(options.chunkBytes(), answer.getMaxChunkBytes()) : options.chunkBytes();
                offset = answer.getOffset();
                progress.onProgress(offset, size);
                return true;
            }
        }

        /**
         * Sends the next chunk.
         *
         * @return true when the server completed the blob.
         */
        private boolean patch() throws IOException, InterruptedException
        {
            final int length = (int)Math.min(chunkBytes, size - offset);
            if (buffer == null || buffer.length < length)
            {
                buffer = new byte[length];
            }
            source.read(offset, buffer, length);
            final HttpRequest request = request()
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(buffer, 0, length))
                .header("Content-Type", "application/offset+octet-stream")
                .header("Upload-Offset", Long.toString(offset))
                .build();
            bytesSent += length;
            final HttpResponse<String> response;
            try
            {
                response = http.send(request, HttpResponse.BodyHandlers.ofString());
            }
            catch (final IOException ex)
            {
                // The request may still be reading the buffer on its way out: never refill that one.
                buffer = null;
                failed(0, ex);
                needHead = true;
                return false;
            }
            final int status = response.statusCode();
            if (status == 204 || status == 200)
            {
                final OptionalLong newOffset = longHeader(response, "Upload-Offset");
                if (newOffset.isEmpty() || newOffset.getAsLong() <= offset || newOffset.getAsLong() > size)
                {
                    throw new MediaTransferException(status, "PATCH answered with Upload-Offset " +
                        response.headers().firstValue("Upload-Offset").orElse("(none)") + " after " + offset, null);
                }
                offset = newOffset.getAsLong();
                failures = 0;
                progress.onProgress(offset, size);
                final String completed = response.headers().firstValue(BLOB_KEY_HEADER).orElse(null);
                if (completed != null && !completed.equals(blobKey))
                {
                    throw new MediaTransferException(status, "server stored blob " + completed + ", the bytes are " +
                        blobKey, null);
                }
                return completed != null || offset == size;
            }
            onRefusal(response, "PATCH");
            return false;
        }

        /**
         * Sends the whole body to the object store in one PUT through the ticket's presigned URL.
         *
         * @return true when the store took it.
         */
        private boolean put() throws IOException, InterruptedException
        {
            if (System.currentTimeMillis() >= ticket.getExpiresAtMs())
            {
                newTicket();
                return false;
            }
            // One chunk's time for each chunk's worth of bytes: the body is one request however large.
            final long chunks = Math.max(1, (size + options.chunkBytes() - 1) / options.chunkBytes());
            final HttpRequest.Builder builder = HttpRequest.newBuilder(uploadUri)
                .version(HttpClient.Version.HTTP_1_1)
                .timeout(options.chunkTimeout().multipliedBy(chunks))
                .method(DIRECT_METHOD, HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new SourceStream(source, size)), size));
            for (final UploadHeader header : ticket.getUploadHeadersList())
            {
                builder.header(header.getName(), header.getValue());
            }
            bytesSent += size;
            final HttpResponse<String> response;
            try
            {
                response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            }
            catch (final IOException ex)
            {
                failed(0, ex);
                return false;
            }
            final int status = response.statusCode();
            if (status == 200 || status == 204)
            {
                failures = 0;
                offset = size;
                progress.onProgress(size, size);
                return true;
            }
            final String reason = "PUT " + uploadUri.getPath() + " answered " + status + ": " +
                response.body().strip();
            switch (status)
            {
                case 403 ->
                {
                    // The signature expired (or the clocks disagree): a fresh ticket signs it again.
                    lastStatus = status;
                    lastFailure = new IOException(reason);
                    newTicket();
                }
                case 408, 429, 500, 502, 503, 504 -> failed(status, new IOException(reason));
                case 400 -> throw new MediaTransferException(status, reason +
                    " (the bytes may not match the declared SHA-256: they changed while they uploaded)", null);
                default -> throw new MediaTransferException(status, reason, null);
            }
            return false;
        }

        /** Asks the server where the upload stands. */
        private void head() throws IOException, InterruptedException
        {
            final HttpRequest request = request().method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
            final HttpResponse<String> response;
            try
            {
                response = http.send(request, HttpResponse.BodyHandlers.ofString());
            }
            catch (final IOException ex)
            {
                failed(0, ex);
                return;
            }
            if (response.statusCode() == 200)
            {
                final OptionalLong serverOffset = longHeader(response, "Upload-Offset");
                if (serverOffset.isEmpty() || serverOffset.getAsLong() < 0 || serverOffset.getAsLong() > size)
                {
                    throw new MediaTransferException(200, "HEAD answered with Upload-Offset " +
                        response.headers().firstValue("Upload-Offset").orElse("(none)"), null);
                }
                if (serverOffset.getAsLong() > offset)
                {
                    // The server kept bytes of the request that failed: that is progress.
                    failures = 0;
                }
                offset = serverOffset.getAsLong();
                needHead = false;
                resumes++;
                progress.onProgress(offset, size);
                return;
            }
            onRefusal(response, "HEAD");
        }

        /** What to do about an answer that is not a success. */
        private void onRefusal(final HttpResponse<String> response, final String method)
            throws IOException, InterruptedException
        {
            final int status = response.statusCode();
            final String reason = method + " " + uploadUri.getPath() + " answered " + status + ": " +
                response.body().strip();
            switch (status)
            {
                case 409 ->
                {
                    // Our offset was stale (a request that failed went further than we knew): ask, at once.
                    countFailure(status, new IOException(reason));
                    needHead = true;
                }
                case 401, 404, 410 ->
                {
                    // Token expired, or the upload expired and was collected: the switch issues a fresh ticket,
                    // for the same upload while it is still in progress.
                    lastStatus = status;
                    lastFailure = new IOException(reason);
                    newTicket();
                }
                case 408, 429, 500, 502, 503, 504 ->
                {
                    failed(status, new IOException(reason));
                    needHead = true;
                }
                case STATUS_HASH_MISMATCH -> throw new MediaTransferException(status, reason +
                    " (the bytes changed while they uploaded; the server discarded the upload)", null);
                default -> throw new MediaTransferException(status, reason, null);
            }
        }

        /** A failure that may pass: count it, give up past the budget, else wait the backoff. */
        private void failed(final int status, final Throwable cause) throws IOException, InterruptedException
        {
            countFailure(status, cause);
            options.retry().pause(failures);
        }

        private void countFailure(final int status, final Throwable cause) throws MediaTransferException
        {
            lastStatus = status;
            lastFailure = cause;
            failures++;
            if (failures > options.retry().maxRetries())
            {
                throw new MediaTransferException(status, "upload of " + blobKey + " gave up at " + offset + " of " +
                    size + " bytes after " + failures + " failures in a row: " + cause, cause);
            }
        }

        private HttpRequest.Builder request()
        {
            return HttpRequest.newBuilder(uploadUri)
                .version(HttpClient.Version.HTTP_1_1)
                .timeout(options.chunkTimeout())
                .header("Authorization", "Bearer " + ticket.getToken())
                .header("Tus-Resumable", TUS_VERSION);
        }

        private Result result()
        {
            return new Result(blobKey, size, storedBefore, resumes, ticketsAsked, bytesSent);
        }
    }

    /** A source's bytes from the start, for a PUT body; a new one for each attempt. */
    private static final class SourceStream extends InputStream
    {
        private static final int BUFFER_BYTES = 64 * 1024;

        private final MediaSource source;
        private final long size;
        private final byte[] buffer = new byte[BUFFER_BYTES];
        /** Bytes of the source read into {@link #buffer} so far. */
        private long position;
        private int inBuffer;
        private int next;

        SourceStream(final MediaSource source, final long size)
        {
            this.source = source;
            this.size = size;
        }

        @Override
        public int read() throws IOException
        {
            if (!fill())
            {
                return -1;
            }
            return buffer[next++] & 0xff;
        }

        @Override
        public int read(final byte[] into, final int at, final int length) throws IOException
        {
            if (length == 0)
            {
                return 0;
            }
            if (!fill())
            {
                return -1;
            }
            final int n = Math.min(length, inBuffer - next);
            System.arraycopy(buffer, next, into, at, n);
            next += n;
            return n;
        }

        /** @return false at the end of the source. */
        private boolean fill() throws IOException
        {
            if (next < inBuffer)
            {
                return true;
            }
            if (position >= size)
            {
                return false;
            }
            final int length = (int)Math.min(buffer.length, size - position);
            source.read(position, buffer, length);
            position += length;
            inBuffer = length;
            next = 0;
            return true;
        }
    }

    private static OptionalLong longHeader(final HttpResponse<?> response, final String name)
    {
        final String value = response.headers().firstValue(name).orElse(null);
        if (value == null)
        {
            return OptionalLong.empty();
        }
        try
        {
            return OptionalLong.of(Long.parseLong(value.trim()));
        }
        catch (final NumberFormatException ex)
        {
            return OptionalLong.empty();
        }
    }
}
