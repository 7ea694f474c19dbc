package io.xin.server.daemon;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LeakDetectionTest
{
    private String propertyBefore;
    private ResourceLeakDetector.Level levelBefore;

    @BeforeEach
    void remember()
    {
        propertyBefore = System.getProperty(LeakDetection.LEVEL_PROPERTY);
        levelBefore = ResourceLeakDetector.getLevel();
    }

    @AfterEach
    void restore()
    {
        if (propertyBefore == null)
        {
            System.clearProperty(LeakDetection.LEVEL_PROPERTY);
        }
        else
        {
            System.setProperty(LeakDetection.LEVEL_PROPERTY, propertyBefore);
        }
        ResourceLeakDetector.setLevel(levelBefore);
    }

    @Test
    void shouldDisableLeakDetectionWhenNoLevelWasSet()
    {
        System.clearProperty(LeakDetection.LEVEL_PROPERTY);
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);

        assertEquals(ResourceLeakDetector.Level.DISABLED, LeakDetection.disableUnlessSet());
        assertEquals(ResourceLeakDetector.Level.DISABLED, ResourceLeakDetector.getLevel());
    }

    @Test
    void shouldKeepTheLevelTheOperatorSet()
    {
        System.setProperty(LeakDetection.LEVEL_PROPERTY, "paranoid");
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);

        assertEquals(ResourceLeakDetector.Level.PARANOID, LeakDetection.disableUnlessSet());
    }
}
