package io.xin.core.net;

import org.agrona.concurrent.Agent;

/**
 * Polls the TLS certificate and key files and swaps the server's context when they change. Run by an
 * {@code AgentRunner} on its own thread ({@code xin-tls-reload}) with a sleeping idle strategy of the
 * reload interval, so a reload never runs on an event loop.
 */
public final class CertificateReloader implements Agent
{
    private final ServerTls tls;

    public CertificateReloader(final ServerTls tls)
    {
        this.tls = tls;
    }

    @Override
    public int doWork()
    {
        return tls.reloadIfChanged() ? 1 : 0;
    }

    @Override
    public String roleName()
    {
        return "xin-tls-reload";
    }
}
