package io.kvsqueeze.spring.guard;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;

/**
 * How full the heap is, as the memory guard should see it. With a generational collector (G1, Parallel, Serial)
 * this is the old generation's fill level. Young garbage comes and goes with every minor collection and is no
 * sign of pressure; what stays in the old generation is. With a single-pool collector (ZGC, Shenandoah) it is the
 * whole heap in use against its maximum.
 */
public final class HeapProbe {
    private HeapProbe() {
    }

    public static double usedFraction() {
        double oldGeneration = -1;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            String name = pool.getName();
            if (pool.getType() == MemoryType.HEAP && pool.isValid()
                    && (name.contains("Old") || name.contains("Tenured"))) {
                MemoryUsage usage = pool.getUsage();
                long max = usage.getMax() > 0 ? usage.getMax() : usage.getCommitted();
                if (max > 0) {
                    oldGeneration = Math.max(oldGeneration, (double) usage.getUsed() / max);
                }
            }
        }
        if (oldGeneration >= 0) {
            return oldGeneration;
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        long max = heap.getMax() > 0 ? heap.getMax() : heap.getCommitted();
        return max <= 0 ? 0 : (double) heap.getUsed() / max;
    }
}
