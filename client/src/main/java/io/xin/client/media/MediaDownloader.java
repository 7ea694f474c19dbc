package io.xin.client.media;

import io.xin.client.XinClient;
import io.xin.client.XinClientException;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.MediaUrlResult;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads media a message references (docs/protocol.md, media): asks the switch for a short-lived URL
 * ({@code MediaUrl} with the {@code MediaRef}'s {@code blob_key} and {@code access_token}), then {@code GET}s it.
 * <p>
 * A whole download is checked before it is handed over: its size must be {@code MediaRef.size_bytes} and its
 * SHA-256 must be {@code blob_key} ({@link MediaIntegrityException} otherwise). A connection that drops mid-body is
 * resumed with a {@code Range} request from the bytes already received, under the same {@link RetryPolicy} as
 * uploads; an expired URL (403) is replaced by a fresh one. A ranged download ({@link #download(MediaRef, long,
 * long)}) returns part of the blob unchecked: a hash covers the whole blob only.
 * <p>
 * The bytes are the blob's: ciphertext for an encrypted attachment; {@link MediaCrypto#decrypt} or
 * {@link MediaClient#fetch} turn them into the file.
 * <p>
 * Blocks the calling thread: never call it on a {@link XinClient}'s event loop. Thread safe.
 */
public final class MediaDownloader
{
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final int READ_BUFFER_BYTES = 64 * 1024;

    private final HttpClient http;
    private final Urls urls;
    private final Options options;

    /**
     * Asks the switch for a download URL; {@code XinClient::mediaUrl}.
     */
    @FunctionalInterface
    public interface Urls
    {
        /**
         * @param blobKey     {@code MediaRef.blob_key}.
         * @param accessToken {@code MediaRef.access_token}.
         * @return the switch's answer.
         */
        CompletableFuture<MediaUrlResult> mediaUrl(String blobKey, String accessToken);
    }

    /**
     * How a download goes.
     *
     * @param retry       how often and how patiently to try again.
     * @param maxUrls     URLs one download may ask for, the first included.
     * @param urlTimeout  the longest wait for the switch's answer to a MediaUrl.
     * @param readTimeout the longest wait for a GET's answer to begin.
     */
    public record Options(RetryPolicy retry, int maxUrls, Duration urlTimeout, Duration readTimeout)
    {
        /** {@link RetryPolicy#DEFAULT}, 4 URLs, 30 s for a URL, 60 s for an answer to begin. */
        public static final Options DEFAULT = new Options(RetryPolicy.DEFAULT, 4, Duration.ofSeconds(30),
            Duration.ofSeconds(60));

        /**
         * @throws IllegalArgumentException if a value is out of range.
         */
        public Options
        {
            Objects.requireNonNull(retry, "retry");
            Objects.requireNonNull(urlTimeout, "urlTimeout");
            Objects.requireNonNull(readTimeout, "readTimeout");
            if (maxUrls < 1 || urlTimeout.isNegative() || urlTimeout.isZero() || readTimeout.isNegative() ||
                readTimeout.isZero())
            {
                throw new IllegalArgumentException("maxUrls and the timeouts must be positive");
            }
        }
    }

    /**
     * @param http the HTTP client; requests go as HTTP/1.1.
     * @param urls where URLs come from: {@code client::mediaUrl}.
     */
    public MediaDownloader(final HttpClient http, final Urls urls)
    {
        this(http, urls, Options.DEFAULT);
    }

    /**
     * @param http    the HTTP client; requests go as HTTP/1.1.
     * @param urls    where URLs come from: {@code client::mediaUrl}.
     * @param options retries and timeouts.
     */
    public MediaDownloader(final HttpClient http, final Urls urls, final Options options)
    {
        this.http = Objects.requireNonNull(http, "http");
        this.urls = Objects.requireNonNull(urls, "urls");
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * Downloads a whole blob into memory and checks it.
     *
     * @param ref the message's MediaRef, with the access token the switch stamped on it.
     * @return the blob's bytes.
     * @throws MediaIntegrityException if the size or the SHA-256 is not the reference's.
     * @throws MediaTransferException  if the media server refused for good or the retries ran out.
     * @throws XinClientException      if the switch refused the URL (BAD_MEDIA_REF).
     * @throws InterruptedException    if interrupted.
     */
    public byte[] download(final MediaRef ref) throws IOException, InterruptedException
    {
        return download(ref, TransferProgress.NONE);
    }

    /**
     * Downloads a whole blob into memory and checks it.
     *
     * @param ref      the message's MediaRef.
     * @param progress told how far the download is.
     * @return the blob's bytes.
     * @throws MediaIntegrityException if the size or the SHA-256 is not the reference's.
     * @throws MediaTransferException  if the media server refused for good or the retries ran out.
     * @throws InterruptedException    if interrupted.
     */
    public byte[] download(final MediaRef ref, final TransferProgress progress) throws IOException, InterruptedException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream((int)Math.min(ref.getSizeBytes(), 1 << 20));
        new Transfer(ref, 0, -1, out, progress).run();
        return out.toByteArray();
    }

    /**
     * Downloads a whole blob into a file and checks it; the file appears only once it checked out.
     *
     * @param ref      the message's MediaRef.
     * @param file     where to put it (replaced).
     * @param progress told how far the download is.
     * @throws MediaIntegrityException if the size or the SHA-256 is not the reference's.
     * @throws MediaTransferException  if the media server refused for good or the retries ran out.
     * @throws InterruptedException    if interrupted.
     */
    public void download(final MediaRef ref, final Path file, final TransferProgress progress)
        throws IOException, InterruptedException
    {
        final Path parent = file.toAbsolutePath().getParent();
        final Path partial = Files.createTempFile(parent, file.getFileName().toString(), ".part");
        try
        {
            try (OutputStream out = Files.newOutputStream(partial))
            {
                new Transfer(ref, 0, -1, out, progress).run();
            }
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        finally
        {
            Files.deleteIfExists(partial);
        }
    }

    /**
     * Downloads part of a blob ({@code Range: bytes=first-last}), unchecked: the hash covers the whole blob only.
     *
     * @param ref   the message's MediaRef.
     * @param first the first byte, from 0.
     * @param last  the last byte, inclusive, below {@code size_bytes}.
     * @return those bytes.
     * @throws MediaTransferException if the media server refused for good (416: the range is past the end) or the
     *                                retries ran out.
     * @throws InterruptedException   if interrupted.
     */
    public byte[] download(final MediaRef ref, final long first, final long last)
        throws IOException, InterruptedException
    {
        if (first < 0 || last < first)
        {
            throw new IllegalArgumentException("range must be 0 <= first <= last: " + first + "-" + last);
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream((int)Math.min(last - first + 1, 1 << 20));
        new Transfer(ref, first, last, out, TransferProgress.NONE).run();
        return out.toByteArray();
    }

    /**
     * One download's state. Owned by the thread running it.
     */
    private final class Transfer
    {
        private final MediaRef ref;
        private final long first;
        /** Last byte wanted, inclusive; -1 for the whole blob (checked). */
        private final long last;
        private final OutputStream out;
        private final TransferProgress progress;
        private final MessageDigest digest;

        private URI url;
        private int urlsAsked;
        /** Bytes written to {@link #out} so far. */
        private long received;
        /** Bytes wanted in all, -1 until an answer or the reference says. */
        private long expected;
        private int failures;
        private int lastStatus;
        private Throwable lastFailure;

        Transfer(final MediaRef ref, final long first, final long last, final OutputStream out,
            final TransferProgress progress)
        {
            this.ref = Objects.requireNonNull(ref, "ref");
            this.first = first;
            this.last = last;
            this.out = out;
            this.progress = progress != null ? progress : TransferProgress.NONE;
            this.digest = last < 0 ? MediaSource.sha256Digest() : null;
            this.expected = last >= 0 ? last - first + 1 : ref.getSizeBytes() > 0 ? ref.getSizeBytes() : -1;
        }

        void run() throws IOException, InterruptedException
        {
            newUrl();
            while (expected < 0 || received < expected)
            {
                attempt();
            }
            if (digest != null)
            {
                final String sha256 = HexFormat.of().formatHex(digest.digest());
                if (!sha256.equals(ref.getBlobKey()))
                {
                    throw new MediaIntegrityException("downloaded " + received + " bytes hash to " + sha256 +
                        ", the reference names " + ref.getBlobKey());
                }
            }
        }

        /** One GET from where the transfer stands. */
        private void attempt() throws IOException, InterruptedException
        {
            final long from = first + received;
            final HttpRequest.Builder request = HttpRequest.newBuilder(url)
                .version(HttpClient.Version.HTTP_1_1)
                .timeout(options.readTimeout())
                .GET();
            if (from > 0 || last >= 0)
            {
                request.header("Range", "bytes=" + from + "-" + (last >= 0 ? Long.toString(last) : ""));
            }
            final HttpResponse<InputStream> response;
            try
            {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            }
            catch (final IOException ex)
            {
                failed(0, ex);
                return;
            }
            final int status = response.statusCode();
            try (InputStream body = response.body())
            {
                if (status == 200 || status == 206)
                {
                    final long skip = startOf(response, from);
                    read(body, skip);
                    if (received < expected)
                    {
                        // Ended early without an error: counted as a failure so a server that keeps doing it
                        // cannot hold the download in a loop.
                        failed(status, new IOException("GET " + url.getPath() + " ended at byte " +
                            (first + received)));
                    }
                    return;
                }
                final String reason = "GET " + url.getPath() + " answered " + status + ": " +
                    new String(body.readNBytes(512), java.nio.charset.StandardCharsets.UTF_8).strip();
                switch (status)
                {
                    case 403 ->
                    {
                        // The URL expired (they are short-lived): ask the switch for a fresh one.
                        lastStatus = status;
                        lastFailure = new IOException(reason);
                        newUrl();
                    }
                    case 408, 429, 500, 502, 503, 504 -> failed(status, new IOException(reason));
                    default -> throw new MediaTransferException(status, reason, null);
                }
            }
            catch (final IOException ex)
            {
                if (ex instanceof MediaTransferException)
                {
                    throw ex;
                }
                // The connection dropped mid-body: what was read stays, the next GET asks for the rest.
                failed(status, ex);
            }
        }

        /**
         * @return bytes of the answer's body to drop before those wanted: the server may ignore the range (200),
         *         or start it earlier.
         */
        private long startOf(final HttpResponse<InputStream> response, final long from) throws MediaTransferException
        {
            final long total;
            final long start;
            if (response.statusCode() == 206)
            {
                final Matcher range = CONTENT_RANGE.matcher(response.headers().firstValue("Content-Range").orElse(""));
                if (!range.matches())
                {
                    throw new MediaTransferException(206, "206 without a valid Content-Range: " +
                        response.headers().firstValue("Content-Range").orElse("(none)"), null);
                }
                start = Long.parseLong(range.group(1));
                total = "*".equals(range.group(3)) ? -1 : Long.parseLong(range.group(3));
            }
            else
            {
                start = 0;
                total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            }
            if (start > from)
            {
                throw new MediaTransferException(206, "asked from byte " + from + ", answered from " + start, null);
            }
            if (last < 0 && total >= 0)
            {
                if (ref.getSizeBytes() > 0 && total != ref.getSizeBytes())
                {
                    throw new MediaIntegrityException("blob has " + total + " bytes, the reference says " +
                        ref.getSizeBytes());
                }
                expected = total;
            }
            return from - start;
        }

        private void read(final InputStream body, final long skip) throws IOException
        {
            long toSkip = skip;
            final byte[] buffer = new byte[READ_BUFFER_BYTES];
            int read;
            while ((read = body.read(buffer)) >= 0)
            {
                int offset = 0;
                if (toSkip > 0)
                {
                    final int skipped = (int)Math.min(toSkip, read);
                    toSkip -= skipped;
                    offset = skipped;
                }
                int length = read - offset;
                if (expected >= 0 && received + length > expected)
                {
                    if (last < 0)
                    {
                        throw new MediaIntegrityException("blob is longer than the " + expected + " bytes expected");
                    }
                    length = (int)(expected - received);
                }
                if (length > 0)
                {
                    out.write(buffer, offset, length);
                    if (digest != null)
                    {
                        digest.update(buffer, offset, length);
                    }
                    received += length;
                    failures = 0;
                    progress.onProgress(received, expected);
                }
                if (last >= 0 && received == expected)
                {
                    // A server that ignored the range sends the rest of the blob: not wanted.
                    break;
                }
            }
            if (expected < 0)
            {
                // No length known but the stream ended cleanly: that was all of it.
                expected = received;
            }
        }

        private void newUrl() throws IOException, InterruptedException
        {
            while (true)
            {
                if (urlsAsked == options.maxUrls())
                {
                    throw new MediaTransferException(lastStatus, "download of " + ref.getBlobKey() +
                        " gave up after " + urlsAsked + " URLs", lastFailure);
                }
                urlsAsked++;
                try
                {
                    final MediaUrlResult answer = urls.mediaUrl(ref.getBlobKey(), ref.getAccessToken())
                        .get(options.urlTimeout().toMillis(), TimeUnit.MILLISECONDS);
                    url = URI.create(answer.getUrl());
                    return;
                }
                catch (final ExecutionException ex)
                {
                    final Throwable cause = ex.getCause();
                    if (cause instanceof XinClientException refused &&
                        refused.code() != ErrorCode.ERROR_CODE_UNSPECIFIED)
                    {
                        throw refused;
                    }
                    urlsAsked--;
                    failed(0, cause);
                }
                catch (final TimeoutException ex)
                {
                    urlsAsked--;
                    failed(0, ex);
                }
                catch (final IllegalArgumentException ex)
                {
                    throw new MediaTransferException(0, "the switch gave no valid URL", ex);
                }
            }
        }

        private void failed(final int status, final Throwable cause) throws IOException, InterruptedException
        {
            lastStatus = status;
            lastFailure = cause;
            failures++;
            if (failures > options.retry().maxRetries())
            {
                throw new MediaTransferException(status, "download of " + ref.getBlobKey() + " gave up at " +
                    received + " bytes after " + failures + " failures in a row: " + cause, cause);
            }
            options.retry().pause(failures);
        }
    }
}
