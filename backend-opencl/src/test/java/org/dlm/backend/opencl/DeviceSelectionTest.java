package org.dlm.backend.opencl;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Device choice by index, type or name; a choice that matches nothing lists the devices. */
class DeviceSelectionTest {
    static final List<OpenClDevice.Info> DEVICES = List.of(
            new OpenClDevice.Info(0, "Portable Computing Language", "pthread-skylake", false, true, MemorySegment.NULL, MemorySegment.NULL),
            new OpenClDevice.Info(1, "NVIDIA CUDA", "GeForce RTX 3060", true, true, MemorySegment.NULL, MemorySegment.NULL),
            new OpenClDevice.Info(2, "Intel(R) OpenCL HD Graphics", "Iris Xe", true, false, MemorySegment.NULL, MemorySegment.NULL));

    @Test
    void defaultIsTheFirstGpuElseTheFirstDevice() {
        assertEquals(1, OpenClDevice.pick(DEVICES, null).index());
        assertEquals(1, OpenClDevice.pick(DEVICES, " ").index());
        assertEquals(0, OpenClDevice.pick(DEVICES.subList(0, 1), null).index());
    }

    @Test
    void byIndexTypeOrName() {
        assertEquals(2, OpenClDevice.pick(DEVICES, "2").index());
        assertEquals(0, OpenClDevice.pick(DEVICES, "cpu").index());
        assertEquals(1, OpenClDevice.pick(DEVICES, "GPU").index());
        assertEquals(2, OpenClDevice.pick(DEVICES, "iris").index());
        assertEquals(0, OpenClDevice.pick(DEVICES, "portable").index());
    }

    @Test
    void aChoiceThatMatchesNothingListsTheDevices() {
        OpenClException e = assertThrows(OpenClException.class, () -> OpenClDevice.pick(DEVICES, "tpu"));
        assertEquals("""
                no OpenCL device matches 'tpu'; devices:
                  0: Portable Computing Language / pthread-skylake
                  1: NVIDIA CUDA / GeForce RTX 3060 (GPU)
                  2: Intel(R) OpenCL HD Graphics / Iris Xe (GPU) (no fp64)""", e.getMessage());
        assertThrows(OpenClException.class, () -> OpenClDevice.pick(DEVICES, "7"));
    }

    @Test
    void thisMachineHasADeviceAndItIsReused() {
        List<OpenClDevice.Info> real = OpenClDevice.list();
        assertFalse(real.isEmpty());
        assertSame(OpenClDevice.select("0"), OpenClDevice.select(real.getFirst().name()));
    }
}
