package io.xin.loadgen;

import io.xin.loadgen.relay.RelayServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * {@code xin relay}: the bare Netty relay the switch is measured against, as its own process.
 */
@Command(name = "relay", mixinStandardHelpOptions = true,
    description = "Run the bare Netty relay (no storage, no acks): the reference for `xin loadgen chat --no-acks`; " +
        "with --acks it also answers every Send with a SendAck (the reference for `xin loadgen chat`).")
public final class RelayCommand implements Callable<Integer>
{
    @Option(names = "--host", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "TCP port (default: ${DEFAULT-VALUE}).")
    int port = 7800;

    @Option(names = "--io-threads", description = "Event loops; 0 = two per core, Netty's default " +
        "(default: ${DEFAULT-VALUE}).")
    int ioThreads = 0;

    @Option(names = "--transport", description = "auto | io_uring | epoll | nio, as the switch's --transport " +
        "(default: ${DEFAULT-VALUE}).")
    String transport = io.xin.core.net.Transport.AUTO;

    @Option(names = "--acks", description = "Answer every Send with a SendAck (a msg_id and the sender's next seq, " +
        "nothing stored) before relaying it.")
    boolean acks;

    @Override
    public Integer call() throws Exception
    {
        final RelayServer relay = new RelayServer(host, port, ioThreads, transport, acks);
        Runtime.getRuntime().addShutdownHook(new Thread(relay::close, "xin-relay-shutdown"));
        System.out.printf("xin relay listening on %s:%d%n", host, relay.port());
        relay.closeFuture().sync();
        return 0;
    }
}
