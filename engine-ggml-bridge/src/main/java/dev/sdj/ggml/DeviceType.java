package dev.sdj.ggml;

/** {@code enum ggml_backend_dev_type}. */
public enum DeviceType {
    CPU, GPU, IGPU, ACCEL, META, UNKNOWN;

    static DeviceType of(int value) {
        return switch (value) {
            case 0 -> CPU;
            case 1 -> GPU;
            case 2 -> IGPU;
            case 3 -> ACCEL;
            case 4 -> META;
            default -> UNKNOWN;
        };
    }
}
