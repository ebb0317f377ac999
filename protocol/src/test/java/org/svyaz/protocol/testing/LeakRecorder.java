// SPDX-License-Identifier: AGPL-3.0-only
package org.svyaz.protocol.testing;

import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Netty's leak detector, keeping what it reports so that {@link NettyLeakCheck} can fail the tests.
 * The test runs name it in {@code io.netty.customResourceLeakDetector} (the parent POM, for the
 * modules that depend on this test-jar); Netty then makes one per kind of resource.
 */
public final class LeakRecorder<T> extends ResourceLeakDetector<T> {
    private static final ConcurrentLinkedQueue<String> LEAKS = new ConcurrentLinkedQueue<>();

    public LeakRecorder(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    public LeakRecorder(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
    }

    /** Whether Netty made its detectors from this class (the property was set before Netty started). */
    static boolean installed() {
        return INSTALLED;
    }

    private static volatile boolean INSTALLED;

    {
        INSTALLED = true;
    }

    /** Reported even when no logger would print it: the report is what fails the run. */
    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        LEAKS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected." + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        LEAKS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected "
                + "(no access records: the level was below ADVANCED).");
        super.reportUntracedLeak(resourceType);
    }

    /** The leaks reported since the last call, oldest first. */
    static List<String> drain() {
        List<String> leaks = new ArrayList<>();
        String leak;
        while ((leak = LEAKS.poll()) != null) {
            leaks.add(leak);
        }
        return leaks;
    }
}
