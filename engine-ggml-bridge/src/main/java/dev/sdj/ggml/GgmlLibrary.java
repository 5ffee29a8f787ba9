package dev.sdj.ggml;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.types.size_t;

/**
 * Raw ggml C API as JNR-FFI sees it. Handles are plain {@code long} addresses (0 is NULL); C {@code bool} results are
 * read as {@code byte} because only the low byte of the return register is defined. Nothing here checks anything:
 * the wrappers in this package do. {@code ggml_init} takes a struct by value and is called through jffi instead
 * (see {@link GgmlInit}).
 */
public interface GgmlLibrary {

    // --- version, logging ---
    String ggml_version();

    String ggml_commit();

    interface LogCallback {
        @Delegate
        void log(int level, Pointer text, Pointer user);
    }

    void ggml_log_set(LogCallback callback, Pointer user);

    interface AbortCallback {
        @Delegate
        void abort(Pointer message);
    }

    /** Called just before ggml aborts the process on a failed assertion; it cannot be prevented, only explained. */
    long ggml_set_abort_callback(AbortCallback callback);

    // --- contexts ---
    void ggml_free(long ctx);

    @size_t long ggml_used_mem(long ctx);

    @size_t long ggml_get_mem_size(long ctx);

    @size_t long ggml_tensor_overhead();

    @size_t long ggml_graph_overhead_custom(@size_t long size, boolean grads);

    long ggml_get_first_tensor(long ctx);

    long ggml_get_next_tensor(long ctx, long tensor);

    // --- types ---
    String ggml_type_name(int type);

    @size_t long ggml_type_size(int type);

    long ggml_blck_size(int type);

    @size_t long ggml_row_size(int type, long ne);

    byte ggml_is_quantized(int type);

    void ggml_fp32_to_fp16_row(long src, long dst, long n);

    void ggml_fp16_to_fp32_row(long src, long dst, long n);

    void ggml_fp32_to_bf16_row(long src, long dst, long n);

    void ggml_bf16_to_fp32_row(long src, long dst, long n);

    /** {@code const struct ggml_type_traits *}: name, block size, block bytes, and the {@code to_float} function. */
    long ggml_get_type_traits(int type);

    byte ggml_quantize_requires_imatrix(int type);

    @size_t long ggml_quantize_chunk(int type, long src, long dst, long start, long nrows, long nPerRow, long imatrix);

    // --- tensors ---
    long ggml_new_tensor_1d(long ctx, int type, long ne0);

    long ggml_new_tensor_2d(long ctx, int type, long ne0, long ne1);

    long ggml_new_tensor_3d(long ctx, int type, long ne0, long ne1, long ne2);

    long ggml_new_tensor_4d(long ctx, int type, long ne0, long ne1, long ne2, long ne3);

    long ggml_set_name(long tensor, String name);

    String ggml_get_name(long tensor);

    @size_t long ggml_nbytes(long tensor);

    long ggml_nelements(long tensor);

    int ggml_n_dims(long tensor);

    byte ggml_is_contiguous(long tensor);

    void ggml_set_input(long tensor);

    void ggml_set_output(long tensor);

    // --- views and layout ---
    long ggml_view_1d(long ctx, long a, long ne0, @size_t long offset);

    long ggml_view_2d(long ctx, long a, long ne0, long ne1, @size_t long nb1, @size_t long offset);

    long ggml_view_3d(long ctx, long a, long ne0, long ne1, long ne2, @size_t long nb1, @size_t long nb2, @size_t long offset);

    long ggml_view_4d(long ctx, long a, long ne0, long ne1, long ne2, long ne3,
                      @size_t long nb1, @size_t long nb2, @size_t long nb3, @size_t long offset);

    long ggml_reshape_1d(long ctx, long a, long ne0);

    long ggml_reshape_2d(long ctx, long a, long ne0, long ne1);

    long ggml_reshape_3d(long ctx, long a, long ne0, long ne1, long ne2);

    long ggml_reshape_4d(long ctx, long a, long ne0, long ne1, long ne2, long ne3);

    long ggml_permute(long ctx, long a, int axis0, int axis1, int axis2, int axis3);

    long ggml_transpose(long ctx, long a);

    long ggml_cont(long ctx, long a);

    long ggml_cpy(long ctx, long a, long b);

    long ggml_cast(long ctx, long a, int type);

    long ggml_concat(long ctx, long a, long b, int dim);

    long ggml_get_rows(long ctx, long a, long rows);

    // --- arithmetic ---
    long ggml_add(long ctx, long a, long b);

    long ggml_sub(long ctx, long a, long b);

    long ggml_mul(long ctx, long a, long b);

    long ggml_div(long ctx, long a, long b);

    long ggml_scale(long ctx, long a, float s);

    long ggml_mul_mat(long ctx, long a, long b);

    /** Accumulator precision of MUL_MAT / FLASH_ATTN_EXT results; false for other ops. */
    byte ggml_prec_set_acc(long tensor, int prec);

    // --- normalisation ---
    long ggml_norm(long ctx, long a, float eps);

    long ggml_rms_norm(long ctx, long a, float eps);

    long ggml_group_norm(long ctx, long a, int nGroups, float eps);

    // --- activations ---
    long ggml_gelu(long ctx, long a);

    long ggml_gelu_quick(long ctx, long a);

    long ggml_gelu_erf(long ctx, long a);

    long ggml_silu(long ctx, long a);

    long ggml_relu(long ctx, long a);

    long ggml_tanh(long ctx, long a);

    long ggml_sigmoid(long ctx, long a);

    long ggml_sin(long ctx, long a);

    long ggml_exp(long ctx, long a);

    long ggml_sqrt(long ctx, long a);

    long ggml_log(long ctx, long a);

    long ggml_clamp(long ctx, long a, float min, float max);

    // --- attention ---
    long ggml_diag_mask_inf(long ctx, long a, int nPast);

    long ggml_soft_max(long ctx, long a);

    long ggml_soft_max_ext(long ctx, long a, long mask, float scale, float maxBias);

    long ggml_flash_attn_ext(long ctx, long q, long k, long v, long mask, float scale, float maxBias, float logitSoftcap);

    // --- convolution and resampling ---
    long ggml_im2col(long ctx, long kernel, long input, int s0, int s1, int p0, int p1, int d0, int d1, boolean is2d, int dstType);

    long ggml_im2col_3d(long ctx, long kernel, long input, long inChannels, int s0, int s1, int s2, int p0, int p1, int p2,
                        int d0, int d1, int d2, int dstType);

    long ggml_conv_2d_direct(long ctx, long kernel, long input, int s0, int s1, int p0, int p1, int d0, int d1);

    long ggml_conv_transpose_2d_p0(long ctx, long kernel, long input, int stride);

    long ggml_conv_transpose_1d(long ctx, long kernel, long input, int s0, int p0, int d0);

    long ggml_pad(long ctx, long a, int p0, int p1, int p2, int p3);

    long ggml_pad_ext(long ctx, long a, int lp0, int rp0, int lp1, int rp1, int lp2, int rp2, int lp3, int rp3);

    long ggml_upscale(long ctx, long a, int scaleFactor, int mode);

    long ggml_interpolate(long ctx, long a, long ne0, long ne1, long ne2, long ne3, int mode);

    // --- positions and timesteps ---
    long ggml_arange(long ctx, float start, float stop, float step);

    long ggml_timestep_embedding(long ctx, long timesteps, int dim, int maxPeriod);

    long ggml_rope_ext(long ctx, long a, long positions, long freqFactors, int nDims, int mode, int nCtxOrig,
                       float freqBase, float freqScale, float extFactor, float attnFactor, float betaFast, float betaSlow);

    long ggml_rope_multi(long ctx, long a, long positions, long freqFactors, int nDims, int[] sections, int mode,
                         int nCtxOrig, float freqBase, float freqScale, float extFactor, float attnFactor,
                         float betaFast, float betaSlow);

    // --- graphs ---
    long ggml_new_graph_custom(long ctx, @size_t long size, boolean grads);

    void ggml_build_forward_expand(long graph, long tensor);

    int ggml_graph_n_nodes(long graph);

    long ggml_graph_node(long graph, int i);

    void ggml_graph_add_node(long graph, long tensor);

    String ggml_op_name(int op);

    // --- devices and registries ---
    @size_t long ggml_backend_dev_count();

    long ggml_backend_dev_get(@size_t long index);

    String ggml_backend_dev_name(long dev);

    String ggml_backend_dev_description(long dev);

    void ggml_backend_dev_memory(long dev, Pointer free, Pointer total);

    int ggml_backend_dev_type(long dev);

    void ggml_backend_dev_get_props(long dev, Pointer props);

    long ggml_backend_dev_backend_reg(long dev);

    long ggml_backend_dev_init(long dev, String params);

    long ggml_backend_dev_buffer_type(long dev);

    long ggml_backend_dev_host_buffer_type(long dev);

    byte ggml_backend_dev_supports_op(long dev, long op);

    @size_t long ggml_backend_reg_count();

    long ggml_backend_reg_get(@size_t long index);

    long ggml_backend_reg_by_name(String name);

    String ggml_backend_reg_name(long reg);

    @size_t long ggml_backend_reg_dev_count(long reg);

    long ggml_backend_reg_dev_get(long reg, @size_t long index);

    long ggml_backend_reg_get_proc_address(long reg, String name);

    long ggml_backend_load(String path);

    void ggml_backend_load_all_from_path(String dir);

    // --- backends ---
    void ggml_backend_free(long backend);

    String ggml_backend_name(long backend);

    long ggml_backend_get_device(long backend);

    void ggml_backend_synchronize(long backend);

    int ggml_backend_graph_compute(long backend, long graph);

    int ggml_backend_graph_compute_async(long backend, long graph);

    // --- tensor data ---
    void ggml_backend_tensor_set(long tensor, long data, @size_t long offset, @size_t long size);

    void ggml_backend_tensor_get(long tensor, long data, @size_t long offset, @size_t long size);

    void ggml_backend_tensor_set_async(long backend, long tensor, long data, @size_t long offset, @size_t long size);

    void ggml_backend_tensor_get_async(long backend, long tensor, long data, @size_t long offset, @size_t long size);

    void ggml_backend_tensor_copy(long src, long dst);

    int ggml_backend_tensor_alloc(long buffer, long tensor, long addr);

    // --- buffer types and buffers ---
    String ggml_backend_buft_name(long buft);

    long ggml_backend_buft_alloc_buffer(long buft, @size_t long size);

    @size_t long ggml_backend_buft_get_alignment(long buft);

    @size_t long ggml_backend_buft_get_max_size(long buft);

    @size_t long ggml_backend_buft_get_alloc_size(long buft, long tensor);

    byte ggml_backend_buft_is_host(long buft);

    long ggml_backend_buft_get_device(long buft);

    String ggml_backend_buffer_name(long buffer);

    void ggml_backend_buffer_free(long buffer);

    long ggml_backend_buffer_get_base(long buffer);

    @size_t long ggml_backend_buffer_get_size(long buffer);

    void ggml_backend_buffer_clear(long buffer, byte value);

    byte ggml_backend_buffer_is_host(long buffer);

    void ggml_backend_buffer_set_usage(long buffer, int usage);

    long ggml_backend_alloc_ctx_tensors_from_buft(long ctx, long buft);

    /**
     * A CPU buffer over memory the caller owns ({@code ptr} aligned to 32, ggml's TENSOR_ALIGNMENT, or ggml aborts);
     * freeing the buffer leaves the memory alone. In libggml-base, so every CPU variant shares it.
     */
    long ggml_backend_cpu_buffer_from_ptr(long ptr, @size_t long size);

    // --- events ---
    long ggml_backend_event_new(long dev);

    void ggml_backend_event_free(long event);

    void ggml_backend_event_record(long event, long backend);

    void ggml_backend_event_synchronize(long event);

    void ggml_backend_event_wait(long backend, long event);

    // --- graph allocator ---
    long ggml_gallocr_new(long buft);

    void ggml_gallocr_free(long galloc);

    byte ggml_gallocr_reserve(long galloc, long graph);

    byte ggml_gallocr_alloc_graph(long galloc, long graph);

    @size_t long ggml_gallocr_get_buffer_size(long galloc, int bufferId);

    /** Sizes the buffers a graph needs without allocating them; null buffer-id arrays mean buffer 0 for everything. */
    void ggml_gallocr_reserve_n_size(long galloc, long graph, Pointer nodeBufferIds, Pointer leafBufferIds, Pointer sizes);
}
