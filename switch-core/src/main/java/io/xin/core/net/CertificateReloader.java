package io.xin.core.net;

import org.agrona.concurrent.Agent;

/**
 * Polls the TLS certificate and key files every reload interval and swaps the server's context when
 * they changed. Run by an {@code AgentRunner} on a thread of its own ({@code xin-tls-reload}), so a
 * reload never runs on an event loop; the runner idles in short sleeps so that closing it is quick.
 */
public final class CertificateReloader implements Agent
{
    /** Longest idle sleep of the runner: bounds how long closing it takes. */
    public static final long IDLE_SLEEP_MS = 100;

    private final ServerTls tls;
    private final long intervalNs;
    /** Owned by the reloader thread. */
    private long lastPollNs;

    /**
     * @param tls        the context holder to reload.
     * @param intervalMs time between two checks of the files, in milliseconds.
     */
    public CertificateReloader(final ServerTls tls, final long intervalMs)
    {
        this.tls = tls;
        this.intervalNs = intervalMs * 1_000_000L;
        this.lastPollNs = System.nanoTime();
    }

    @Override
    public int doWork()
    {
        final long nowNs = System.nanoTime();
        if (nowNs - lastPollNs < intervalNs)
        {
            return 0;
        }
        lastPollNs = nowNs;
        return tls.reloadIfChanged() ? 1 : 0;
    }

    @Override
    public String roleName()
    {
        return "xin-tls-reload";
    }
}
