package io.xin.media.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.xin.media.AppendResult;
import io.xin.media.BlobInfo;
import io.xin.media.ByteRange;
import io.xin.media.MediaException;
import io.xin.media.MediaStore;
import io.xin.media.SignedUrls;
import io.xin.media.UploadStatus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One connection of the media server: routes each request, checks it, and hands every store call to the
 * connection's {@link SerialExecutor} on the file threads; the results come back to the event loop, which writes
 * the answers. Requests are answered one at a time and in order: the messages of a pipelined request wait until
 * the one before is answered, and reading stops meanwhile.
 * <p>
 * A PATCH body is copied from the decoder's pieces into buffers of half the connection buffer; each full one is
 * appended to the store as it fills (each append forced to disk by the store), the last one when the body ends.
 * Reading stops while the bytes not yet taken by the store reach the connection buffer and resumes as appends
 * finish. A connection that drops mid-body still has what it sent appended, so HEAD then shows it.
 * <p>
 * An error answered before the request's body has all arrived closes the connection, gently: the output is shut
 * and what the client still sends is read and dropped for a short while, so the client reads the answer instead of
 * a reset.
 * <p>
 * Every field is owned by the event loop except those of {@link Upload} and {@link Download} marked as owned by the
 * file tasks, which run one at a time and in order.
 */
final class MediaHandler extends ChannelInboundHandlerAdapter
{
    private static final System.Logger LOG = System.getLogger(MediaHandler.class.getName());

    static final String TUS_VERSION = "1.0.0";
    static final String TUS_EXTENSIONS = "expiration,termination";
    static final String OFFSET_OCTET_STREAM = "application/offset+octet-stream";
    static final String TUS_RESUMABLE = "Tus-Resumable";
    static final String TUS_VERSION_HEADER = "Tus-Version";
    static final String UPLOAD_OFFSET = "Upload-Offset";
    static final String UPLOAD_LENGTH = "Upload-Length";
    static final String UPLOAD_EXPIRES = "Upload-Expires";
    static final String BLOB_KEY = "Xin-Blob-Key";

    /** Bytes of a download read from the store at a time. */
    private static final int DOWNLOAD_CHUNK_BYTES = 256 * 1024;
    /** How long a connection closed on an error reads and drops what its client still sends, at most. */
    private static final long LINGER_MS = 2_000;
    /** RFC 9110's IMF-fixdate. */
    private static final DateTimeFormatter HTTP_DATE =
        DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final String TEXT = "text/plain; charset=utf-8";

    /**
     * What every connection of one server shares.
     *
     * @param bodyBytesHeld     PATCH bytes all connections hold in memory now, not yet taken by the store.
     * @param peakBodyBytesHeld the most one connection has held at once.
     * @param downloadPauses    times a download waited for its connection to drain.
     */
    record Shared(
        MediaStore store,
        SignedUrls urls,
        MediaHttpConfig config,
        Executor files,
        LongAdder failures,
        AtomicLong bodyBytesHeld,
        AtomicLong peakBodyBytesHeld,
        LongAdder downloadPauses)
    {
    }

    private final Shared shared;
    private final MediaStore store;
    private final MediaHttpConfig config;
    /** The connection arrived over the limit: its first request is answered 503 and it is closed. */
    private final boolean overLimit;
    /** This connection's queue of store calls, run one at a time on the file threads. */
    private final SerialExecutor files;
    /** Set when the handler is added, before any event. */
    private ChannelHandlerContext ctx;
    /** The request being served: from its head until both its body has ended and its answer is written. */
    private Exchange current;
    /** Messages of requests after the current one, in arrival order. */
    private final ArrayDeque<HttpObject> waiting = new ArrayDeque<>();
    /** An answer said {@code Connection: close}: nothing more is served. */
    private boolean closing;
    /** The output is shut after an early error; input is read and dropped until the client closes. */
    private boolean discarding;
    /** File tasks submitted and not yet reported back: while any, the connection is not idle. */
    private int fileTasks;
    /** {@link #advance} is running: a nested call returns, the running one goes on. */
    private boolean advancing;

    /** A request in progress. */
    private static final class Exchange
    {
        final HttpVersion version;
        boolean keepAlive;
        /** The answer carries Tus-Resumable: an upload resource. */
        boolean tus;
        /** It has a body (a length over 0, or chunks): its end is more than the empty LastHttpContent. */
        boolean bodyExpected;
        /** Its LastHttpContent has been read. */
        boolean requestEnded;
        /** Its answer's head is written; the connection closes after the answer. */
        boolean closeAfter;
        /** Its answer is written in full. */
        boolean responded;
        Upload upload;
        Download download;

        Exchange(final HttpRequest request)
        {
            version = request.protocolVersion();
            keepAlive = HttpUtil.isKeepAlive(request);
            bodyExpected = HttpUtil.isTransferEncodingChunked(request) || contentLength(request) != 0;
        }

        /** @return the declared length, 0 without one, -1 if unreadable (a request the decoder refused). */
        private static long contentLength(final HttpRequest request)
        {
            try
            {
                return HttpUtil.getContentLength(request, 0L);
            }
            catch (final NumberFormatException e)
            {
                return -1;
            }
        }
    }

    MediaHandler(final Shared shared, final boolean overLimit)
    {
        this.shared = shared;
        this.store = shared.store();
        this.config = shared.config();
        this.overLimit = overLimit;
        this.files = new SerialExecutor(shared.files());
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext context)
    {
        this.ctx = context;
    }

    @Override
    public void channelActive(final ChannelHandlerContext context)
    {
        if (overLimit)
        {
            // Answered at its first request; one that sends none does not keep its place for a whole idle timeout.
            context.executor().schedule(() -> context.close(), Math.min(LINGER_MS, config.idleTimeoutMs()),
                TimeUnit.MILLISECONDS);
        }
        context.fireChannelActive();
    }

    @Override
    public void channelRead(final ChannelHandlerContext context, final Object msg)
    {
        if (!(msg instanceof HttpObject object) || closing)
        {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!waiting.isEmpty() || (current != null && current.requestEnded))
        {
            waiting.add(object);
            updateAutoRead();
            return;
        }
        dispatch(object);
        advance();
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext context)
    {
        final Download download = current == null ? null : current.download;
        if (download != null && download.paused && context.channel().isWritable())
        {
            download.paused = false;
            submit(() -> pump(download), null);
        }
        context.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(final ChannelHandlerContext context, final Object event)
    {
        if (event instanceof IdleStateEvent)
        {
            // Silent, and not because the store is still busy with its request (hashing a large upload).
            if (fileTasks == 0)
            {
                context.close();
            }
            return;
        }
        context.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext context)
    {
        closing = true;
        if (current != null)
        {
            if (current.upload != null)
            {
                current.upload.connectionLost();
            }
            if (current.download != null)
            {
                final Download download = current.download;
                submit(download::close, download::close);
            }
        }
        while (!waiting.isEmpty())
        {
            ReferenceCountUtil.release(waiting.poll());
        }
        context.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext context, final Throwable cause)
    {
        // A reset by the peer, a TLS failure, a write to a closed socket: nothing to answer.
        if (!(cause instanceof IOException))
        {
            LOG.log(System.Logger.Level.DEBUG, "media connection failed", cause);
        }
        context.close();
    }

    /** Handles one message of the current request, or the head of the next. Releases it. */
    private void dispatch(final HttpObject msg)
    {
        try
        {
            if (msg instanceof HttpRequest request)
            {
                current = new Exchange(request);
                try
                {
                    start(request);
                }
                catch (final Refusal refusal)
                {
                    refuse(refusal);
                }
            }
            if (msg instanceof HttpContent content && current != null && !current.requestEnded)
            {
                if (current.upload != null)
                {
                    current.upload.body(content.content());
                }
                if (content instanceof LastHttpContent)
                {
                    current.requestEnded = true;
                    if (current.upload != null)
                    {
                        current.upload.bodyEnded();
                    }
                }
            }
        }
        finally
        {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Moves on past answered requests to the waiting ones, then sets reading on or off. */
    private void advance()
    {
        if (advancing)
        {
            return;
        }
        advancing = true;
        try
        {
            while (current != null && current.responded && current.requestEnded && !closing)
            {
                current = null;
                while (current == null || !current.requestEnded)
                {
                    final HttpObject next = waiting.poll();
                    if (next == null)
                    {
                        break;
                    }
                    dispatch(next);
                }
            }
            updateAutoRead();
        }
        finally
        {
            advancing = false;
        }
    }

    private void updateAutoRead()
    {
        final boolean read;
        if (discarding)
        {
            read = true;
        }
        else if (closing || !waiting.isEmpty() || (current != null && current.requestEnded))
        {
            read = false;
        }
        else
        {
            read = current == null || current.upload == null || !current.upload.full();
        }
        if (ctx.channel().config().isAutoRead() != read)
        {
            ctx.channel().config().setAutoRead(read);
        }
    }

    private void start(final HttpRequest request) throws Refusal
    {
        if (request.decoderResult().isFailure())
        {
            // What follows cannot be parsed: the connection ends, reading and dropping what the client still sends.
            current.keepAlive = false;
            current.bodyExpected = true;
            final Throwable cause = request.decoderResult().cause();
            if (cause instanceof TooLongHttpLineException)
            {
                throw new Refusal(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long");
            }
            if (cause instanceof TooLongHttpHeaderException)
            {
                throw new Refusal(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers too large");
            }
            throw new Refusal(HttpResponseStatus.BAD_REQUEST, "malformed request");
        }
        if (overLimit)
        {
            current.keepAlive = false;
            throw new Refusal(HttpResponseStatus.SERVICE_UNAVAILABLE, "too many connections");
        }
        final MediaTarget target = MediaTarget.parse(request.uri());
        final HttpMethod method = request.method();
        current.tus = target.kind() != MediaTarget.Kind.BLOB;
        switch (target.kind())
        {
            case UPLOADS ->
            {
                requireMethod(method, "OPTIONS", HttpMethod.OPTIONS);
                options();
            }
            case UPLOAD ->
            {
                requireMethod(method, "HEAD, PATCH, DELETE", HttpMethod.HEAD, HttpMethod.PATCH, HttpMethod.DELETE);
                requireTus(request, !HttpMethod.DELETE.equals(method));
                authorizeUpload(request, target);
                if (HttpMethod.PATCH.equals(method))
                {
                    patch(request, target.id());
                }
                else if (HttpMethod.HEAD.equals(method))
                {
                    uploadHead(target.id());
                }
                else
                {
                    delete(target.id());
                }
            }
            case BLOB ->
            {
                requireMethod(method, "GET, HEAD", HttpMethod.GET, HttpMethod.HEAD);
                blob(request, target);
            }
            default -> throw new IllegalStateException("unknown target " + target.kind());
        }
    }

    private void options()
    {
        final FullHttpResponse response = empty(HttpResponseStatus.NO_CONTENT);
        response.headers()
            .set(TUS_VERSION_HEADER, TUS_VERSION)
            .set("Tus-Extension", TUS_EXTENSIONS)
            .set("Tus-Max-Size", config.maxUploadBytes());
        respond(response);
    }

    private void uploadHead(final String uploadId)
    {
        final Exchange exchange = current;
        submit(() ->
        {
            final UploadStatus status;
            try
            {
                status = liveUpload(uploadId);
            }
            catch (final Refusal refusal)
            {
                later(exchange, () -> refuse(refusal));
                return;
            }
            later(exchange, () ->
            {
                final FullHttpResponse response = empty(HttpResponseStatus.OK);
                response.headers()
                    .set(UPLOAD_OFFSET, status.offset())
                    .set(UPLOAD_LENGTH, status.size())
                    .set(UPLOAD_EXPIRES, HTTP_DATE.format(status.expiresAt()))
                    .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                    .set(HttpHeaderNames.CONTENT_LENGTH, 0);
                respond(response);
            });
        }, null);
    }

    private void delete(final String uploadId)
    {
        final Exchange exchange = current;
        submit(() ->
        {
            final boolean deleted;
            try
            {
                deleted = store.deleteUpload(uploadId);
            }
            catch (final RuntimeException e)
            {
                final Refusal refusal = refusal(e);
                later(exchange, () -> refuse(refusal));
                return;
            }
            later(exchange, () ->
            {
                if (deleted)
                {
                    respond(empty(HttpResponseStatus.NO_CONTENT));
                }
                else
                {
                    refuse(new Refusal(HttpResponseStatus.NOT_FOUND, "no such upload"));
                }
            });
        }, null);
    }

    private void patch(final HttpRequest request, final String uploadId) throws Refusal
    {
        final HttpHeaders headers = request.headers();
        final String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
        if (contentType == null || !mediaType(contentType).equalsIgnoreCase(OFFSET_OCTET_STREAM))
        {
            throw new Refusal(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                "Content-Type must be " + OFFSET_OCTET_STREAM);
        }
        final long offset = decimal(headers.get(UPLOAD_OFFSET));
        if (offset < 0)
        {
            throw new Refusal(HttpResponseStatus.BAD_REQUEST, "Upload-Offset must be a non-negative integer");
        }
        if (HttpUtil.isTransferEncodingChunked(request) || !headers.contains(HttpHeaderNames.CONTENT_LENGTH))
        {
            throw new Refusal(HttpResponseStatus.BAD_REQUEST, "Content-Length is required");
        }
        final long length = HttpUtil.getContentLength(request, -1L);
        if (length < 0)
        {
            throw new Refusal(HttpResponseStatus.BAD_REQUEST, "malformed Content-Length");
        }
        if (length > config.maxChunkBytes())
        {
            throw new Refusal(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "body over the largest chunk, " + config.maxChunkBytes() + " bytes");
        }
        final Upload upload = new Upload(current, uploadId, offset, length, HttpUtil.is100ContinueExpected(request));
        current.upload = upload;
        submit(upload::begin, null);
    }

    private void blob(final HttpRequest request, final MediaTarget target) throws Refusal
    {
        if (target.token() == null)
        {
            throw new Refusal(HttpResponseStatus.FORBIDDEN, "token required");
        }
        final SignedUrls.Verdict verdict = verify("GET", target, target.token());
        if (verdict != SignedUrls.Verdict.VALID)
        {
            throw new Refusal(HttpResponseStatus.FORBIDDEN,
                verdict == SignedUrls.Verdict.EXPIRED ? "token expired" : "token does not grant this blob");
        }
        final String etag = "\"" + target.id() + "\"";
        final String ifRange = request.headers().get(HttpHeaderNames.IF_RANGE);
        final RangeSpec spec = ifRange != null && !ifRange.trim().equals(etag) ? RangeSpec.WHOLE :
            RangeSpec.parse(request.headers().get(HttpHeaderNames.RANGE));
        final boolean head = HttpMethod.HEAD.equals(request.method());
        final Exchange exchange = current;
        final String blobId = target.id();
        submit(() -> openBlob(exchange, blobId, etag, spec, head), null);
    }

    /** On a file thread: finds the blob and the range, opens it, and has the event loop start the answer. */
    private void openBlob(
        final Exchange exchange, final String blobId, final String etag, final RangeSpec spec, final boolean head)
    {
        final HttpResponse response;
        final ByteRange range;
        final InputStream in;
        try
        {
            final Optional<BlobInfo> found = store.stat(blobId);
            if (found.isEmpty())
            {
                throw new Refusal(HttpResponseStatus.NOT_FOUND, "no such blob");
            }
            final BlobInfo blob = found.get();
            final ByteRange asked;
            try
            {
                asked = spec.resolve(blob.size());
            }
            catch (final Refusal refusal)
            {
                throw refusal.header(HttpHeaderNames.CONTENT_RANGE, "bytes */" + blob.size())
                    .header(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
            }
            range = asked == null ? ByteRange.whole(blob.size()) : asked;
            response = head ? empty(asked == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT) :
                new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                    asked == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT);
            response.headers()
                .set(HttpHeaderNames.CONTENT_LENGTH, range.length())
                .set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES)
                .set(HttpHeaderNames.ETAG, etag)
                .set(HttpHeaderNames.CONTENT_TYPE, blob.contentType())
                .set(HttpHeaderNames.CACHE_CONTROL, "private, max-age=" + config.cacheMaxAgeSeconds())
                .set("X-Content-Type-Options", "nosniff");
            if (asked != null)
            {
                response.headers().set(HttpHeaderNames.CONTENT_RANGE,
                    "bytes " + range.first() + "-" + range.last() + "/" + blob.size());
            }
            in = head ? null : store.read(blobId, range);
        }
        catch (final Refusal refusal)
        {
            later(exchange, () -> refuse(refusal));
            return;
        }
        catch (final RuntimeException e)
        {
            final Refusal refusal = refusal(e);
            later(exchange, () -> refuse(refusal));
            return;
        }
        if (head)
        {
            later(exchange, () -> respond((FullHttpResponse)response));
            return;
        }
        final Download download = new Download(exchange, in, range.length());
        if (!onLoop(() ->
        {
            if (current != exchange || !ctx.channel().isActive())
            {
                submit(download::close, download::close);
                return;
            }
            exchange.download = download;
            prepare(response);
            ctx.write(response);
            submit(() -> pump(download), download::close);
        }))
        {
            download.close();
        }
    }

    /**
     * On a file thread: sends the next chunks of a download while the connection is writable; when it is not,
     * the event loop resumes it once it is.
     */
    private void pump(final Download download)
    {
        final Channel channel = ctx.channel();
        try
        {
            while (download.remaining > 0)
            {
                if (!channel.isActive())
                {
                    download.close();
                    return;
                }
                if (!channel.isWritable())
                {
                    if (!onLoop(() -> paused(download)))
                    {
                        download.close();
                    }
                    return;
                }
                final int n = (int)Math.min(
                    Math.min(DOWNLOAD_CHUNK_BYTES, config.connectionBufferBytes() / 2), download.remaining);
                final ByteBuf chunk = channel.alloc().heapBuffer(n, n);
                try
                {
                    while (chunk.isWritable())
                    {
                        if (chunk.writeBytes(download.in, chunk.writableBytes()) < 0)
                        {
                            throw new IOException("blob ended before its size");
                        }
                    }
                }
                catch (final IOException | RuntimeException e)
                {
                    chunk.release();
                    throw e;
                }
                download.remaining -= n;
                // Ordered with the event loop's own writes: both are tasks of its queue.
                channel.writeAndFlush(new DefaultHttpContent(chunk), channel.voidPromise());
            }
            download.close();
            onLoop(() ->
            {
                if (current == download.exchange)
                {
                    finish(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
                }
            });
        }
        catch (final IOException | RuntimeException e)
        {
            download.close();
            shared.failures().increment();
            LOG.log(System.Logger.Level.WARNING, "media download failed mid-body", e);
            // The head is sent: closing is the only way left to tell the client.
            onLoop(() -> ctx.close());
        }
    }

    private void paused(final Download download)
    {
        if (!ctx.channel().isActive())
        {
            submit(download::close, download::close);
        }
        else if (ctx.channel().isWritable())
        {
            submit(() -> pump(download), download::close);
        }
        else
        {
            download.paused = true;
            shared.downloadPauses().increment();
        }
    }

    private void requireMethod(final HttpMethod method, final String allow, final HttpMethod... allowed)
        throws Refusal
    {
        for (final HttpMethod one : allowed)
        {
            if (one.equals(method))
            {
                return;
            }
        }
        throw new Refusal(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed")
            .header(HttpHeaderNames.ALLOW, allow);
    }

    private static void requireTus(final HttpRequest request, final boolean required) throws Refusal
    {
        final String version = request.headers().get(TUS_RESUMABLE);
        if (version == null ? required : !version.trim().equals(TUS_VERSION))
        {
            throw new Refusal(HttpResponseStatus.PRECONDITION_FAILED, "Tus-Resumable: " + TUS_VERSION + " required")
                .header(TUS_VERSION_HEADER, TUS_VERSION);
        }
    }

    /** Checks the bearer token of a request on an upload: signed for PATCH of it, whatever the method. */
    private void authorizeUpload(final HttpRequest request, final MediaTarget target) throws Refusal
    {
        final String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        final String scheme = "Bearer ";
        if (authorization == null || !authorization.regionMatches(true, 0, scheme, 0, scheme.length()))
        {
            throw new Refusal(HttpResponseStatus.UNAUTHORIZED, "bearer token required")
                .header(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        switch (verify("PATCH", target, authorization.substring(scheme.length()).trim()))
        {
            case VALID ->
            {
            }
            case EXPIRED -> throw new Refusal(HttpResponseStatus.GONE, "token expired");
            case BAD_SIGNATURE -> throw new Refusal(HttpResponseStatus.FORBIDDEN, "token does not grant this upload");
            default -> throw new Refusal(HttpResponseStatus.UNAUTHORIZED, "malformed token")
                .header(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
        }
    }

    /** @return the verdict on a token signed for the target's path or, failing that, its bare id. */
    private SignedUrls.Verdict verify(final String method, final MediaTarget target, final String token)
    {
        final SignedUrls.Verdict onPath = shared.urls().verify(method, target.signedPath(), token);
        if (onPath == SignedUrls.Verdict.VALID || onPath == SignedUrls.Verdict.EXPIRED)
        {
            return onPath;
        }
        final SignedUrls.Verdict onId = shared.urls().verify(method, target.id(), token);
        return onId.ordinal() < onPath.ordinal() ? onId : onPath;
    }

    /** On a file thread: the upload in progress, or why it cannot take a request. */
    private UploadStatus liveUpload(final String uploadId) throws Refusal
    {
        final Optional<UploadStatus> status;
        try
        {
            status = store.upload(uploadId);
        }
        catch (final RuntimeException e)
        {
            throw refusal(e);
        }
        if (status.isEmpty())
        {
            throw new Refusal(HttpResponseStatus.NOT_FOUND, "no such upload");
        }
        if (!config.clock().instant().isBefore(status.get().expiresAt()))
        {
            throw new Refusal(HttpResponseStatus.GONE, "upload expired");
        }
        return status.get();
    }

    /** @return the answer to a store's refusal or failure. */
    private Refusal refusal(final RuntimeException e)
    {
        if (e instanceof MediaException media)
        {
            switch (media.reason())
            {
                case INVALID_ARGUMENT:
                    return new Refusal(HttpResponseStatus.BAD_REQUEST, "invalid request");
                case NOT_FOUND:
                    return new Refusal(HttpResponseStatus.NOT_FOUND, "not found");
                case WRONG_OFFSET:
                    return new Refusal(HttpResponseStatus.CONFLICT, "Upload-Offset is not the upload's offset");
                case TOO_LARGE:
                    return new Refusal(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "past the upload's length");
                case EXPIRED:
                    return new Refusal(HttpResponseStatus.GONE, "upload expired");
                case HASH_MISMATCH:
                    return new Refusal(Refusal.CHECKSUM_MISMATCH, "bytes do not match the SHA-256; upload discarded");
                case INVALID_RANGE:
                    return new Refusal(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "range not satisfiable");
                case TOO_MANY_UPLOADS:
                    return new Refusal(HttpResponseStatus.TOO_MANY_REQUESTS, "too many uploads in progress");
                default:
                    break;
            }
        }
        shared.failures().increment();
        LOG.log(System.Logger.Level.WARNING, "media request failed", e);
        return new Refusal(HttpResponseStatus.INTERNAL_SERVER_ERROR, "storage failure");
    }

    /** Answers the current request with an error. */
    private void refuse(final Refusal refusal)
    {
        if (current == null || current.responded)
        {
            return;
        }
        if (current.upload != null)
        {
            current.upload.abandon();
        }
        final byte[] text = (refusal.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
        final FullHttpResponse response = new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, refusal.status(), Unpooled.wrappedBuffer(text));
        response.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, TEXT)
            .set(HttpHeaderNames.CONTENT_LENGTH, text.length)
            .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        if (refusal.headers() != null)
        {
            response.headers().add(refusal.headers());
        }
        respond(response);
    }

    /** Writes a whole answer to the current request. */
    private void respond(final FullHttpResponse response)
    {
        prepare(response);
        finish(ctx.writeAndFlush(response));
    }

    /** Sets the headers every answer carries, and decides whether the connection stays open after it. */
    private void prepare(final HttpResponse response)
    {
        final Exchange exchange = current;
        if (exchange.tus)
        {
            response.headers().set(TUS_RESUMABLE, TUS_VERSION);
        }
        // A body not read to its end would be taken as the next request: such a connection ends with the answer.
        exchange.closeAfter = closing || !exchange.keepAlive || (exchange.bodyExpected && !exchange.requestEnded);
        if (exchange.closeAfter)
        {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            closing = true;
        }
        else if (exchange.version.equals(HttpVersion.HTTP_1_0))
        {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /** The current answer is written up to its end by the given write. */
    private void finish(final ChannelFuture lastWrite)
    {
        final Exchange exchange = current;
        exchange.responded = true;
        if (!exchange.closeAfter)
        {
            return;
        }
        if (exchange.requestEnded || !exchange.bodyExpected)
        {
            lastWrite.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        discarding = true;
        updateAutoRead();
        lastWrite.addListener(written ->
        {
            if (!written.isSuccess())
            {
                ctx.close();
                return;
            }
            final SslHandler tls = ctx.pipeline().get(SslHandler.class);
            final ChannelFuture outboundClosed = tls == null ? ctx.newSucceededFuture() : tls.closeOutbound();
            outboundClosed.addListener(done ->
            {
                if (ctx.channel() instanceof DuplexChannel duplex)
                {
                    duplex.shutdownOutput();
                }
                ctx.executor().schedule(() -> ctx.close(), Math.min(LINGER_MS, config.idleTimeoutMs()),
                    TimeUnit.MILLISECONDS);
            });
        });
    }

    private static FullHttpResponse empty(final HttpResponseStatus status)
    {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
    }

    /**
     * Runs a task on the connection's file executor. The event loop counts it until it has reported back.
     *
     * @param task       the blocking work; it reports its result with {@link #later} or {@link #onLoop}.
     * @param onRejected run instead when the file threads are shut down: releases what the task would have.
     */
    private void submit(final Runnable task, final Runnable onRejected)
    {
        fileTasks++;
        try
        {
            files.execute(() ->
            {
                try
                {
                    task.run();
                }
                catch (final RuntimeException | Error e)
                {
                    LOG.log(System.Logger.Level.WARNING, "media file task failed", e);
                }
                finally
                {
                    onLoop(() -> fileTasks--);
                }
            });
        }
        catch (final RejectedExecutionException e)
        {
            fileTasks--;
            if (onRejected != null)
            {
                onRejected.run();
            }
        }
    }

    /**
     * Runs an action on the event loop, then moves on to waiting requests.
     *
     * @return false if the event loop is shut down and will not run it.
     */
    private boolean onLoop(final Runnable action)
    {
        try
        {
            ctx.executor().execute(() ->
            {
                action.run();
                advance();
            });
            return true;
        }
        catch (final RejectedExecutionException e)
        {
            return false;
        }
    }

    /** Runs an action on the event loop if the exchange is still the current, unanswered one. */
    private void later(final Exchange exchange, final Runnable action)
    {
        onLoop(() ->
        {
            if (current == exchange && !exchange.responded && ctx.channel().isActive())
            {
                action.run();
            }
        });
    }

    /** @return the media type of a Content-Type, without parameters. */
    private static String mediaType(final String contentType)
    {
        final int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
    }

    /** @return the value of 1 to 18 decimal digits, or -1 if it is anything else. */
    private static long decimal(final String value)
    {
        if (value == null || value.isEmpty() || value.length() > 18)
        {
            return -1;
        }
        for (int i = 0; i < value.length(); i++)
        {
            if (value.charAt(i) < '0' || value.charAt(i) > '9')
            {
                return -1;
            }
        }
        return Long.parseLong(value);
    }

    /**
     * The body of one PATCH, on its way to the store. The event loop copies it into buffers and queues each
     * full one as an append; the file tasks append them in order and report back.
     */
    private final class Upload
    {
        final Exchange exchange;
        final String id;
        final long startOffset;
        final long length;
        final boolean expectContinue;
        /** Owned by the event loop: the buffer being filled, or null. */
        ByteBuf filling;
        /** Owned by the event loop: bytes of the body received. */
        long received;
        /** Owned by the event loop: bytes received and not yet appended (queued and filling). */
        long held;
        /** Owned by the event loop: refused; later bytes are dropped. */
        boolean abandoned;
        /** Owned by the file tasks: bytes appended by this PATCH. */
        long written;
        /** Owned by the file tasks: why the PATCH was refused, or null. */
        Refusal refusal;
        /** Owned by the file tasks: the last append's outcome. */
        AppendResult result;
        /** Owned by the file tasks: the upload's expiry, from the first check. */
        Instant expiresAt;

        Upload(final Exchange exchange, final String id, final long startOffset, final long length,
            final boolean expectContinue)
        {
            this.exchange = exchange;
            this.id = id;
            this.startOffset = startOffset;
            this.length = length;
            this.expectContinue = expectContinue;
        }

        /** @return true if reading must wait for the store. */
        boolean full()
        {
            return held >= config.connectionBufferBytes();
        }

        /** On a file thread: checks the upload before its bytes go in. */
        void begin()
        {
            try
            {
                final UploadStatus status = liveUpload(id);
                if (status.offset() != startOffset)
                {
                    throw new Refusal(HttpResponseStatus.CONFLICT,
                        "Upload-Offset " + startOffset + " is not the upload's offset " + status.offset());
                }
                if (length > status.size() - status.offset())
                {
                    throw new Refusal(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "body goes past Upload-Length");
                }
                expiresAt = status.expiresAt();
            }
            catch (final Refusal e)
            {
                refusal = e;
            }
            final Refusal refused = refusal;
            later(exchange, () ->
            {
                if (refused != null)
                {
                    refuse(refused);
                }
                else if (expectContinue && !exchange.requestEnded)
                {
                    ctx.writeAndFlush(new DefaultFullHttpResponse(
                        HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
                }
            });
        }

        /** On the event loop: takes bytes of the body. */
        void body(final ByteBuf bytes)
        {
            if (abandoned)
            {
                return;
            }
            while (bytes.isReadable())
            {
                if (filling == null)
                {
                    // Half the connection buffer, or what is still to come if less: the decoder gives no more
                    // than Content-Length, so the remainder is at least what is readable.
                    final int size = (int)Math.min(config.connectionBufferBytes() / 2, length - received);
                    filling = ctx.alloc().directBuffer(size, size);
                }
                final int n = Math.min(bytes.readableBytes(), filling.maxWritableBytes());
                filling.writeBytes(bytes, n);
                received += n;
                hold(n);
                if (filling.maxWritableBytes() == 0)
                {
                    queueFilling();
                }
            }
        }

        /** On the event loop: the body has ended; the last bytes go in, then the answer. */
        void bodyEnded()
        {
            if (abandoned)
            {
                return;
            }
            queueFilling();
            submit(this::end, null);
        }

        /** On the event loop: the connection dropped mid-body; what arrived goes in, and no answer. */
        void connectionLost()
        {
            if (!abandoned && !exchange.requestEnded)
            {
                queueFilling();
            }
        }

        /** On the event loop: the PATCH is refused; what is buffered is dropped. */
        void abandon()
        {
            abandoned = true;
            if (filling != null)
            {
                hold(-filling.readableBytes());
                filling.release();
                filling = null;
            }
        }

        private void hold(final long bytes)
        {
            held += bytes;
            shared.bodyBytesHeld().addAndGet(bytes);
            if (bytes > 0)
            {
                shared.peakBodyBytesHeld().accumulateAndGet(held, Math::max);
            }
        }

        private void queueFilling()
        {
            if (filling == null || !filling.isReadable())
            {
                if (filling != null)
                {
                    filling.release();
                    filling = null;
                }
                return;
            }
            final ByteBuf segment = filling;
            filling = null;
            submit(() -> append(segment), segment::release);
        }

        /** On a file thread: appends one buffer, unless an earlier step refused the PATCH. */
        private void append(final ByteBuf segment)
        {
            final int n = segment.readableBytes();
            Refusal refused = null;
            try
            {
                if (refusal == null)
                {
                    result = store.append(id, startOffset + written, segment.nioBuffer());
                    written += n;
                }
            }
            catch (final RuntimeException e)
            {
                refusal = refusal(e);
                refused = refusal;
            }
            finally
            {
                segment.release();
            }
            final Refusal newlyRefused = refused;
            onLoop(() ->
            {
                hold(-n);
                if (newlyRefused != null && current == exchange && ctx.channel().isActive())
                {
                    refuse(newlyRefused);
                }
            });
        }

        /** On a file thread, after the last append: has the event loop answer. */
        private void end()
        {
            final Refusal refused = refusal;
            final long offset = startOffset + written;
            final String blobKey = result != null && result.completed() ? result.blob().blobId() : null;
            final Instant expiry = expiresAt;
            later(exchange, () ->
            {
                if (refused != null)
                {
                    refuse(refused);
                    return;
                }
                final FullHttpResponse response = empty(HttpResponseStatus.NO_CONTENT);
                response.headers().set(UPLOAD_OFFSET, offset);
                if (blobKey != null)
                {
                    response.headers().set(BLOB_KEY, blobKey);
                }
                else if (expiry != null)
                {
                    response.headers().set(UPLOAD_EXPIRES, HTTP_DATE.format(expiry));
                }
                respond(response);
            });
        }
    }

    /** A blob being sent. Its stream and count are owned by the file tasks; {@link #paused} by the event loop. */
    private static final class Download
    {
        final Exchange exchange;
        final InputStream in;
        long remaining;
        boolean closed;
        /** Owned by the event loop: waiting for the connection to be writable again. */
        boolean paused;

        Download(final Exchange exchange, final InputStream in, final long remaining)
        {
            this.exchange = exchange;
            this.in = in;
            this.remaining = remaining;
        }

        void close()
        {
            if (closed)
            {
                return;
            }
            closed = true;
            try
            {
                in.close();
            }
            catch (final IOException ignored)
            {
                // A read-only file: nothing is lost.
            }
        }
    }
}
