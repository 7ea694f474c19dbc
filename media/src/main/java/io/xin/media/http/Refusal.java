package io.xin.media.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/** A request refused with a status and a short reason for the client; thrown by the parsers of a request. */
final class Refusal extends Exception
{
    private static final long serialVersionUID = 1L;

    /** The status of a completed upload whose bytes do not hash to the declared SHA-256 (tus's checksum code). */
    static final HttpResponseStatus CHECKSUM_MISMATCH = new HttpResponseStatus(460, "Checksum Mismatch");

    private final transient HttpResponseStatus status;
    /** Headers the answer carries besides the usual ones; null for none. */
    private transient HttpHeaders headers;

    Refusal(final HttpResponseStatus status, final String reason)
    {
        super(reason, null, false, false);
        this.status = status;
    }

    HttpResponseStatus status()
    {
        return status;
    }

    /** @return this, with a header for the answer. */
    Refusal header(final CharSequence name, final Object value)
    {
        if (headers == null)
        {
            headers = new DefaultHttpHeaders();
        }
        headers.set(name, value);
        return this;
    }

    /** @return the extra headers, or null. */
    HttpHeaders headers()
    {
        return headers;
    }
}
