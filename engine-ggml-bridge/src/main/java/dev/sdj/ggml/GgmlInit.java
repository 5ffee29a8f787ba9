package dev.sdj.ggml;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.HeapInvocationBuffer;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.Struct;
import com.kenai.jffi.Type;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Calls {@code ggml_init(struct ggml_init_params)}, which takes its struct by value — something JNR-FFI cannot
 * express — through jffi's struct type and an invocation buffer; and calls function pointers that backends hand out
 * through {@code ggml_backend_reg_get_proc_address}.
 */
final class GgmlInit {
    /** {@code struct ggml_init_params { size_t mem_size; void *mem_buffer; bool no_alloc; }} */
    private static final Struct INIT_PARAMS = Struct.newStruct(Type.UINT64, Type.POINTER, Type.UINT8);
    private static final CallContext INIT = CallContext.getCallContext(Type.POINTER, new Type[]{INIT_PARAMS},
            CallingConvention.DEFAULT, false);
    private static final CallContext VOID_PTR_INT = CallContext.getCallContext(Type.VOID,
            new Type[]{Type.POINTER, Type.SINT32}, CallingConvention.DEFAULT, false);

    private static final CallContext VOID_PTR_PTR_LONG = CallContext.getCallContext(Type.VOID,
            new Type[]{Type.POINTER, Type.POINTER, Type.SINT64}, CallingConvention.DEFAULT, false);

    private final long ggmlInit;

    GgmlInit(long ggmlInitAddress) {
        this.ggmlInit = ggmlInitAddress;
    }

    long init(long memSize, boolean noAlloc) {
        ByteBuffer params = ByteBuffer.allocate(INIT_PARAMS.size()).order(ByteOrder.nativeOrder());
        params.putLong(0, memSize);
        params.putLong(8, 0L);
        params.put(16, (byte) (noAlloc ? 1 : 0));
        HeapInvocationBuffer buffer = new HeapInvocationBuffer(INIT);
        buffer.putStruct(params.array(), 0);
        return Invoker.getInstance().invokeAddress(INIT, ggmlInit, buffer);
    }

    /** Calls a {@code void f(void *, int)} function pointer, e.g. {@code ggml_backend_set_n_threads}. */
    static void callVoidPtrInt(long function, long pointer, int value) {
        Invoker.getInstance().invokeN2(VOID_PTR_INT, function, pointer, value);
    }

    /** Calls a {@code void f(const void *, void *, int64_t)} function pointer, e.g. a type's {@code to_float}. */
    static void callVoidPtrPtrLong(long function, long a, long b, long n) {
        Invoker.getInstance().invokeN3(VOID_PTR_PTR_LONG, function, a, b, n);
    }
}
