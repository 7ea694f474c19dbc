package io.xin.loadgen;

import io.xin.loadgen.cluster.LocalKafka;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code xin kafka}: a single-node Kafka on loopback for a local cluster of switches (benchmarks, trials), as its
 * own process: prints its bootstrap address and runs until stopped, then deletes its data.
 */
@Command(name = "kafka", mixinStandardHelpOptions = true,
    description = "Run a single-node Kafka (KRaft, one replica, data in a temporary folder) on a loopback port for " +
        "`xin server --cluster-kafka`; prints the bootstrap address and the broker's process id, runs until " +
        "stopped (SIGTERM, Ctrl-C) and then deletes its data. Not for production.")
public final class KafkaCommand implements Callable<Integer>
{
    @Override
    public Integer call() throws Exception
    {
        final LocalKafka kafka = LocalKafka.start();
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "xin-kafka-shutdown"));
        // One line a script can read: the broker runs in a child JVM whose CPU time is its own.
        System.out.printf("xin kafka bootstrap %s broker_pid %d dir %s%n", kafka.bootstrapServers(),
            kafka.process().pid(), kafka.dir().toAbsolutePath());
        System.out.flush();
        kafka.process().onExit().join();
        System.err.println("xin kafka: the broker exited");
        return 1;
    }
}
