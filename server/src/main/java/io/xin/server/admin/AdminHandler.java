package io.xin.server.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.xin.cluster.ClusterNode;
import io.xin.core.XinSwitch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Answers the admin endpoints on the admin event loop:
 * <pre>
 *   GET  /healthz                          200 while the process runs
 *   GET  /readyz                           200 ready | 503 draining (or stopped) or storage failed
 *   GET  /metrics                          Prometheus text format
 *   GET  /loglevel?logger=NAME             the logger's level
 *   POST /loglevel?logger=NAME&amp;level=L     sets it (TRACE..OFF, INHERIT); as every request that is not a GET
 *                                          or HEAD, only as {@link AdminAccess} allows: 401 or 403 otherwise
 *   POST /backup?dir=/ABSOLUTE/PATH        a RocksDB checkpoint of the store there, answered when written; as
 *                                          every change, only as {@link AdminAccess} allows
 * </pre>
 * On the health listener only {@code GET /healthz} and {@code GET /readyz} are served; anything else is 404.
 */
@Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest>
{
    private static final Logger LOG = LoggerFactory.getLogger(AdminHandler.class);
    private static final String TEXT = "text/plain; charset=utf-8";

    private final XinSwitch xin;
    private final SwitchMetrics metrics;
    private final Backups backups;
    private final AdminAccess access;
    private final boolean healthOnly;
    private final LongAdder refusedChanges;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    /**
     * @param backups        takes checkpoints of the store; unused with {@code healthOnly}.
     * @param access         who may change the process; unused with {@code healthOnly}.
     * @param healthOnly     serve {@code /healthz} and {@code /readyz} only (the health listener).
     * @param refusedChanges counts requests refused by {@code access}.
     */
    AdminHandler(final XinSwitch xin, final SwitchMetrics metrics, final Backups backups, final AdminAccess access,
        final boolean healthOnly, final LongAdder refusedChanges)
    {
        this.xin = xin;
        this.metrics = metrics;
        this.backups = backups;
        this.access = access;
        this.healthOnly = healthOnly;
        this.refusedChanges = refusedChanges;
    }

    @Override
    protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request)
    {
        final QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        final HttpMethod method = request.method();
        final HttpResponseStatus refused = healthOnly ? null : access.refusal(method, request.headers());
        final boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!healthOnly && refused == null && "/backup".equals(uri.path()) && method == HttpMethod.POST)
        {
            // Answered when the checkpoint is written, on this channel's event loop.
            backups.start(first(uri, "dir")).whenComplete((done, failure) ->
                ctx.executor().execute(() -> respond(ctx, keepAlive, backupAnswer(done, failure))));
            return;
        }
        final FullHttpResponse response;
        if (healthOnly)
        {
            response = health(method, uri.path());
        }
        else if (refused != null)
        {
            response = refusedChange(refused, request);
        }
        else
        {
            response = admin(method, uri);
        }
        respond(ctx, keepAlive, response);
    }

    private static void respond(final ChannelHandlerContext ctx, final boolean keepAlive, final FullHttpResponse response)
    {
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (keepAlive)
        {
            HttpUtil.setKeepAlive(response, true);
            ctx.writeAndFlush(response, ctx.voidPromise());
        }
        else
        {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private FullHttpResponse admin(final HttpMethod method, final QueryStringDecoder uri)
    {
        return switch (uri.path())
        {
            case "/healthz" -> method == HttpMethod.GET ? text(HttpResponseStatus.OK, "ok\n") : notAllowed();
            case "/readyz" -> method == HttpMethod.GET ? readiness() : notAllowed();
            case "/metrics" -> method == HttpMethod.GET ? metrics() : notAllowed();
            case "/loglevel" -> logLevel(method, uri);
            case "/backup" -> notAllowed();
            default -> text(HttpResponseStatus.NOT_FOUND,
                "not found; try /healthz, /readyz, /metrics, /loglevel, /backup\n");
        };
    }

    private FullHttpResponse health(final HttpMethod method, final String path)
    {
        return switch (path)
        {
            case "/healthz" -> method == HttpMethod.GET ? text(HttpResponseStatus.OK, "ok\n") : notAllowed();
            case "/readyz" -> method == HttpMethod.GET ? readiness() : notAllowed();
            default -> text(HttpResponseStatus.NOT_FOUND, "not found; this port serves only /healthz and /readyz\n");
        };
    }

    private FullHttpResponse refusedChange(final HttpResponseStatus status, final FullHttpRequest request)
    {
        refusedChanges.increment();
        if (LOG.isDebugEnabled())
        {
            LOG.debug("Admin {} {} refused: {}", request.method(), request.uri(), status);
        }
        if (status == HttpResponseStatus.UNAUTHORIZED)
        {
            final FullHttpResponse response = text(status, "a change needs Authorization: Bearer <admin token>\n");
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"xin-admin\"");
            return response;
        }
        return text(status, access.refusesAllChanges() ?
            "changes are refused: the admin port is not on loopback and no admin-token-file is set\n" :
            "wrong admin token\n");
    }

    private static FullHttpResponse backupAnswer(final String done, final Throwable failure)
    {
        if (null == failure)
        {
            return text(HttpResponseStatus.OK, done + "\n");
        }
        final Throwable cause = failure instanceof CompletionException && null != failure.getCause() ?
            failure.getCause() : failure;
        if (cause instanceof Backups.Refused refused)
        {
            return text(HttpResponseStatus.valueOf(refused.status()), refused.getMessage() + "\n");
        }
        return text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "backup failed: " + cause.getMessage() + "\n");
    }

    private FullHttpResponse readiness()
    {
        final ClusterNode cluster = xin.context().replicatedShards() instanceof ClusterNode node ? node : null;
        if (xin.isReady() && (cluster == null || cluster.isReady()))
        {
            return text(HttpResponseStatus.OK, "ready\n");
        }
        final String why = xin.status().isStorageFailed() ? "storage failed" :
            !xin.isReady() ? "draining" : cluster.isMember() ? "reading the cluster's directory" :
            "not a member of the cluster";
        return text(HttpResponseStatus.SERVICE_UNAVAILABLE, why + "\n");
    }

    private FullHttpResponse metrics()
    {
        final ByteBuf body = Unpooled.buffer(16 * 1024);
        try (ByteBufOutputStream out = new ByteBufOutputStream(body))
        {
            writer.write(out, metrics.registry().scrape());
        }
        catch (final IOException | RuntimeException ex)
        {
            body.release();
            LOG.warn("Metrics scrape failed", ex);
            return text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "scrape failed: " + ex + "\n");
        }
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, writer.getContentType());
        return response;
    }

    private FullHttpResponse logLevel(final HttpMethod method, final QueryStringDecoder uri)
    {
        if (!LogLevels.isAvailable())
        {
            return text(HttpResponseStatus.NOT_IMPLEMENTED, "log levels can be changed only with logback\n");
        }
        final String logger = first(uri, "logger");
        try
        {
            if (method == HttpMethod.GET)
            {
                return text(HttpResponseStatus.OK, LogLevels.describe(logger) + "\n");
            }
            if (method == HttpMethod.POST || method == HttpMethod.PUT)
            {
                final String level = first(uri, "level");
                final String now = LogLevels.set(logger, level);
                LOG.info("Log level changed through the admin port: {}", now);
                return text(HttpResponseStatus.OK, now + "\n");
            }
            return notAllowed();
        }
        catch (final IllegalArgumentException ex)
        {
            return text(HttpResponseStatus.BAD_REQUEST, ex.getMessage() + "\n");
        }
    }

    private static String first(final QueryStringDecoder uri, final String name)
    {
        final List<String> values = uri.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static FullHttpResponse notAllowed()
    {
        return text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
    }

    private static FullHttpResponse text(final HttpResponseStatus status, final String body)
    {
        final FullHttpResponse response = new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, TEXT);
        return response;
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        ctx.close();
    }
}
