package io.xin.core.discovery;

import io.xin.core.device.Frames;
import io.xin.core.device.Session;
import io.xin.protocol.pb.DiscoveryRequest;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;

/**
 * Where a session's {@code DiscoveryRequest}s go: the {@link DiscoveryService}, or a refusal when the switch does
 * not serve discovery (no key file, or a node of a cluster). Called on the session's event loop: it must not block.
 */
@FunctionalInterface
public interface DiscoveryRequests
{
    /**
     * @return the frame to answer with at once (a refusal), or null when the request was taken and its answer is
     * written to the session's channel later, from another thread.
     */
    Frame submit(Session session, DiscoveryRequest request);

    /**
     * @param reason why, for the {@code NOT_ALLOWED} answer.
     * @return requests answered {@code NOT_ALLOWED}, not fatal.
     */
    static DiscoveryRequests refusing(final String reason)
    {
        return (session, request) -> Frames.error(request.getRequestId(), ErrorCode.NOT_ALLOWED, reason, false);
    }
}
