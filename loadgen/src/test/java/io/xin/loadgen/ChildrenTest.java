package io.xin.loadgen;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChildrenTest
{
    @Test
    void shouldPassTheCollectorAndHeapFlagsOnToChildren()
    {
        for (final String flag : List.of("-XX:+UseParallelGC", "-XX:-UseAdaptiveSizePolicy", "-XX:+PerfDisableSharedMem",
            "-XX:InitialRAMPercentage=25", "-XX:MaxRAMPercentage=25.0", "-XX:NewRatio=1", "-XX:MetaspaceSize=256m",
            "-Xmx6g", "-Xms6g", "-Xmn4g", "-XX:MaxNewSize=1g"))
        {
            assertTrue(flag.matches(Children.COLLECTOR_FLAG), flag);
        }
    }

    @Test
    void shouldKeepFlagsThatNameThisProcessAlone()
    {
        // A child writing to this process's log or recording file, or attaching its agent, would clash with it.
        for (final String flag : List.of("-Xlog:gc:file=/tmp/gen.log", "-XX:StartFlightRecording=filename=gen.jfr",
            "-javaagent:agent.jar", "-Dio.netty.leakDetection.level=simple", "-XX:+PreserveFramePointer"))
        {
            assertFalse(flag.matches(Children.COLLECTOR_FLAG), flag);
        }
    }
}
