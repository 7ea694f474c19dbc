package io.xin.client.media;

import com.google.protobuf.ByteString;
import io.xin.client.XinClient;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.SendAck;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Photos, videos, voice notes and files for one {@link XinClient}: {@link #sendMedia} encrypts (if asked), asks
 * for a ticket, uploads and sends the message that references the blob; {@link #fetch} downloads what a received
 * message references, checks it and decrypts it. The steps, in order, are in docs/protocol.md ("Media: client
 * steps"); {@link MediaUploader}, {@link MediaDownloader} and {@link MediaCrypto} do each one and can be used alone.
 * <p>
 * Transfers block on network I/O, so they run on an executor, never on the client's event loop; the futures
 * complete on the executor or on the event loop (the send's ack), so their callbacks must not block either.
 * <p>
 * <pre>{@code
 * try (MediaClient media = new MediaClient(client))
 * {
 *     media.sendMedia(bobUserId, photoBytes, "image/jpeg", true).join();
 * }
 * // on Bob's device, for a received message:
 * byte[] photo = media.fetch(message.getContent().getMedia()).join();
 * }</pre>
 * Thread safe.
 */
public final class MediaClient implements AutoCloseable
{
    /** Transfers at once on the executor this class makes for itself. */
    static final int DEFAULT_TRANSFER_THREADS = 4;

    private final XinClient client;
    private final MediaUploader uploader;
    private final MediaDownloader downloader;
    private final Executor executor;
    /** The executor when this instance made it, to shut down on close; null when the caller gave one. */
    private final ExecutorService ownedExecutor;

    /**
     * With a fresh HTTP client ({@link #newHttpClient()}), the default options and a pool of
     * {@value #DEFAULT_TRANSFER_THREADS} transfer threads of its own.
     *
     * @param client the logged-in (or logging-in) client that asks for tickets and URLs and sends the messages.
     */
    public MediaClient(final XinClient client)
    {
        this(client, newHttpClient());
    }

    /**
     * With the default options and a pool of {@value #DEFAULT_TRANSFER_THREADS} transfer threads of its own.
     *
     * @param client the client.
     * @param http   the HTTP client for the media server.
     */
    public MediaClient(final XinClient client, final HttpClient http)
    {
        this(client, new MediaUploader(http, client::uploadTicket),
            new MediaDownloader(http, client::mediaUrl), null);
    }

    /**
     * @param client     the client.
     * @param uploader   does the uploads (its tickets normally {@code client::uploadTicket}).
     * @param downloader does the downloads (its URLs normally {@code client::mediaUrl}).
     * @param executor   runs the transfers, one thread each while it lasts; null for a pool of this instance's own.
     */
    public MediaClient(
        final XinClient client, final MediaUploader uploader, final MediaDownloader downloader, final Executor executor)
    {
        this.client = Objects.requireNonNull(client, "client");
        this.uploader = Objects.requireNonNull(uploader, "uploader");
        this.downloader = Objects.requireNonNull(downloader, "downloader");
        if (executor != null)
        {
            this.executor = executor;
            this.ownedExecutor = null;
        }
        else
        {
            final AtomicInteger threads = new AtomicInteger();
            ownedExecutor = Executors.newFixedThreadPool(DEFAULT_TRANSFER_THREADS, task ->
            {
                final Thread thread = new Thread(task, "xin-media-" + threads.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
            this.executor = ownedExecutor;
        }
    }

    /**
     * @return an HTTP client for the media server: HTTP/1.1, a 10 s connect timeout, no redirects.
     */
    public static HttpClient newHttpClient()
    {
        return HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    }

    /**
     * @return the uploader.
     */
    public MediaUploader uploader()
    {
        return uploader;
    }

    /**
     * @return the downloader.
     */
    public MediaDownloader downloader()
    {
        return downloader;
    }

    /**
     * Sends bytes held in memory as a photo, video, voice note or file; see {@link #sendMedia(long, Attachment)}.
     *
     * @param toUserId    the recipient.
     * @param bytes       the file.
     * @param contentType its content type: image/* is sent as IMAGE, video/* as VIDEO, audio/* as VOICE, the rest
     *                    as FILE.
     * @param encrypt     whether to encrypt it end to end.
     * @return completes once the message is stored.
     */
    public CompletableFuture<SentMedia> sendMedia(
        final long toUserId, final byte[] bytes, final String contentType, final boolean encrypt)
    {
        return sendMedia(toUserId, Attachment.of(bytes, contentType).encrypt(encrypt));
    }

    /**
     * Sends a file as a photo, video, voice note or file; see {@link #sendMedia(long, Attachment)}.
     *
     * @param toUserId    the recipient.
     * @param file        the file; it must not change until the future completes.
     * @param contentType its content type.
     * @param encrypt     whether to encrypt it end to end.
     * @return completes once the message is stored.
     */
    public CompletableFuture<SentMedia> sendMedia(
        final long toUserId, final Path file, final String contentType, final boolean encrypt)
    {
        return sendMedia(toUserId, Attachment.of(file, contentType).encrypt(encrypt));
    }

    /**
     * Sends an attachment: encrypts it when asked (a fresh key per file, {@link MediaCrypto}), asks the switch for
     * a ticket, uploads it (resuming after failures, {@link MediaUploader}), then sends the message whose
     * {@code MediaRef} names the blob, carries the key and the attachment's details.
     *
     * @param toUserId   the recipient.
     * @param attachment what to send.
     * @return completes with the ack, the reference sent and the upload's figures once the message is stored;
     *         fails with the upload's failure ({@link MediaTransferException}, the switch's
     *         {@link io.xin.client.XinClientException} for the ticket) or the send's.
     */
    public CompletableFuture<SentMedia> sendMedia(final long toUserId, final Attachment attachment)
    {
        Objects.requireNonNull(attachment, "attachment");
        return CompletableFuture.supplyAsync(() -> upload(attachment), executor)
            .thenCompose(uploaded ->
            {
                final Content.Builder content = Content.newBuilder()
                    .setType(contentTypeOf(attachment.contentType))
                    .setMedia(uploaded.ref);
                if (attachment.caption != null)
                {
                    content.setBody(ByteString.copyFromUtf8(attachment.caption));
                }
                final CompletableFuture<SendAck> sent = attachment.clientMsgId != null ?
                    client.send(toUserId, attachment.clientMsgId, content.build()) :
                    client.send(toUserId, content.build());
                return sent.thenApply(ack -> new SentMedia(ack, uploaded.ref, uploaded.result));
            });
    }

    /**
     * Downloads what a received message references, checks it against its {@code blob_key} and, when it carries an
     * {@code encryption_key}, decrypts it.
     *
     * @param ref the received message's MediaRef.
     * @return completes with the file's bytes; fails with {@link MediaIntegrityException} when they do not check
     *         out, {@link MediaTransferException} when the download failed, or the switch's
     *         {@link io.xin.client.XinClientException} (BAD_MEDIA_REF).
     */
    public CompletableFuture<byte[]> fetch(final MediaRef ref)
    {
        Objects.requireNonNull(ref, "ref");
        return CompletableFuture.supplyAsync(() ->
        {
            try
            {
                final byte[] blob = downloader.download(ref);
                return ref.getEncryptionKey().isEmpty() ? blob :
                    MediaCrypto.decrypt(ref.getEncryptionKey().toByteArray(), blob);
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
     * Stops the transfer threads this instance made (not an executor given to it); transfers in progress are
     * interrupted. The {@link XinClient} stays open.
     */
    @Override
    public void close()
    {
        if (ownedExecutor != null)
        {
            ownedExecutor.shutdownNow();
        }
    }

    /**
     * The message type for a content type: image/* IMAGE, video/* VIDEO, audio/* VOICE, anything else FILE.
     *
     * @param contentType a content type such as "image/jpeg".
     * @return the type.
     */
    public static ContentType contentTypeOf(final String contentType)
    {
        final String family = contentType.toLowerCase(Locale.ROOT);
        if (family.startsWith("image/"))
        {
            return ContentType.IMAGE;
        }
        if (family.startsWith("video/"))
        {
            return ContentType.VIDEO;
        }
        if (family.startsWith("audio/"))
        {
            return ContentType.VOICE;
        }
        return ContentType.FILE;
    }

    private Uploaded upload(final Attachment attachment)
    {
        Path encryptedFile = null;
        try
        {
            final byte[] key = attachment.encrypt ? MediaCrypto.newKeyMaterial() : null;
            final MediaSource source;
            if (attachment.bytes != null)
            {
                source = MediaSource.of(key != null ? MediaCrypto.encrypt(key, attachment.bytes) : attachment.bytes);
            }
            else if (key != null)
            {
                // In the temporary directory: the file's own may not be writable (an app's assets).
                encryptedFile = Files.createTempFile("xin-media-", ".enc");
                MediaCrypto.encrypt(key, attachment.file, encryptedFile);
                source = MediaSource.of(encryptedFile);
            }
            else
            {
                source = MediaSource.of(attachment.file);
            }
            final MediaUploader.Result result = uploader.upload(source, attachment.contentType,
                attachment.durationMs, attachment.progress);
            final MediaRef.Builder ref = MediaRef.newBuilder()
                .setMimeType(attachment.contentType)
                .setSizeBytes(result.sizeBytes())
                .setBlobKey(result.blobKey())
                .setDurationMs(attachment.durationMs)
                .setWidth(attachment.width)
                .setHeight(attachment.height);
            if (attachment.thumbnail != null)
            {
                ref.setThumbnail(ByteString.copyFrom(attachment.thumbnail));
            }
            if (key != null)
            {
                ref.setEncryptionKey(ByteString.copyFrom(key));
            }
            return new Uploaded(ref.build(), result);
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
        finally
        {
            if (encryptedFile != null)
            {
                try
                {
                    Files.deleteIfExists(encryptedFile);
                }
                catch (final IOException ignore)
                {
                    // A temporary file left behind is no reason to fail a sent message.
                }
            }
        }
    }

    private record Uploaded(MediaRef ref, MediaUploader.Result result)
    {
    }

    /**
     * A sent attachment.
     *
     * @param ack    the switch's ack of the message.
     * @param ref    the MediaRef sent (without the access token, which the switch stamps on the stored copy).
     * @param upload what the upload did.
     */
    public record SentMedia(SendAck ack, MediaRef ref, MediaUploader.Result upload)
    {
    }

    /**
     * What to send: the bytes or a file, their content type, and what the recipient is shown before downloading.
     * Not thread safe; hand it over once built.
     */
    public static final class Attachment
    {
        final byte[] bytes;
        final Path file;
        final String contentType;
        boolean encrypt;
        int durationMs;
        int width;
        int height;
        byte[] thumbnail;
        String caption;
        String clientMsgId;
        TransferProgress progress = TransferProgress.NONE;

        private Attachment(final byte[] bytes, final Path file, final String contentType)
        {
            this.bytes = bytes;
            this.file = file;
            this.contentType = Objects.requireNonNull(contentType, "contentType");
        }

        /**
         * @param bytes       the file's bytes; kept, not copied.
         * @param contentType "image/jpeg", "audio/ogg", ...
         * @return an attachment of them.
         */
        public static Attachment of(final byte[] bytes, final String contentType)
        {
            Objects.requireNonNull(bytes, "bytes");
            return new Attachment(bytes, null, contentType);
        }

        /**
         * @param file        a file; it must not change until it is sent.
         * @param contentType "video/mp4", "application/pdf", ...
         * @return an attachment of it.
         */
        public static Attachment of(final Path file, final String contentType)
        {
            Objects.requireNonNull(file, "file");
            return new Attachment(null, file, contentType);
        }

        /**
         * @param encrypt encrypt end to end (AES-256-GCM, a fresh key per file carried in the message); default
         *                false. The media server and object storage then hold ciphertext only; the content type,
         *                size, duration, dimensions and thumbnail still travel as given.
         * @return this.
         */
        public Attachment encrypt(final boolean encrypt)
        {
            this.encrypt = encrypt;
            return this;
        }

        /**
         * @param durationMs a voice note's or video's length in milliseconds.
         * @return this.
         */
        public Attachment durationMs(final int durationMs)
        {
            if (durationMs < 0)
            {
                throw new IllegalArgumentException("durationMs must not be negative: " + durationMs);
            }
            this.durationMs = durationMs;
            return this;
        }

        /**
         * @param width  a photo's or video's width in pixels.
         * @param height its height.
         * @return this.
         */
        public Attachment size(final int width, final int height)
        {
            this.width = width;
            this.height = height;
            return this;
        }

        /**
         * @param thumbnail a small preview, a few KiB at most; sent as given, also with {@link #encrypt}.
         * @return this.
         */
        public Attachment thumbnail(final byte[] thumbnail)
        {
            this.thumbnail = thumbnail;
            return this;
        }

        /**
         * @param caption text sent with it, as the message body.
         * @return this.
         */
        public Attachment caption(final String caption)
        {
            this.caption = caption;
            return this;
        }

        /**
         * @param clientMsgId the message's idempotency key; a fresh one by default.
         * @return this.
         */
        public Attachment clientMsgId(final String clientMsgId)
        {
            this.clientMsgId = clientMsgId;
            return this;
        }

        /**
         * @param progress told how far the upload is.
         * @return this.
         */
        public Attachment progress(final TransferProgress progress)
        {
            this.progress = Objects.requireNonNull(progress, "progress");
            return this;
        }
    }
}
