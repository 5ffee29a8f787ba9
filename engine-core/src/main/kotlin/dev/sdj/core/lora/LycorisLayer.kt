package dev.sdj.core.lora

/**
 * One factor of a LyCORIS layer, a [rows] × [cols] matrix: stored whole, or as a low-rank product up·down, which a
 * convolution's factor may store in Tucker form — a core t (rank × rank × k × k) between a (rank × out) and b (rank ×
 * in): factor[p, r, k, l] = Σ_i Σ_j t[i, j, k, l] · a[i, p] · b[j, r].
 */
class LycorisFactor private constructor(private val whole: LoraMatrix?, private val up: LoraMatrix?, private val down: LoraMatrix?) {
    val rows: Int get() = whole?.rows ?: up!!.rows
    val cols: Int get() = whole?.cols ?: down!!.cols

    /** The elements of each column group: a convolution kernel's height × width, 1 for a matrix. */
    val kernel: Int get() = whole?.kernel ?: down!!.kernel

    /** Row [o] into [into]. */
    fun row(o: Int, into: FloatArray) {
        if (whole != null) System.arraycopy(whole.values, o * whole.cols, into, 0, whole.cols)
        else LoraMerge.productRow(up!!, down!!, o, into)
    }

    /** The whole matrix, row-major. */
    fun values(): FloatArray = whole?.values ?: FloatArray(rows * cols).also { all ->
        val row = FloatArray(cols)
        for (o in 0 until rows) {
            row(o, row)
            System.arraycopy(row, 0, all, o * cols, cols)
        }
    }

    companion object {
        fun whole(matrix: LoraMatrix) = LycorisFactor(matrix, null, null)

        /** up (out × rank) · down (rank × in, or rank × in × k × k). */
        fun product(up: LoraMatrix, down: LoraMatrix): LycorisFactor {
            require(up.cols == down.rows) { "up is ${up.rows} × ${up.cols}, down ${down.rows} × ${down.cols}" }
            return LycorisFactor(null, up, down)
        }

        /**
         * The Tucker form: [core] rank × rank × k × k ([LoraMatrix.kernel] k · k), [a] rank × out, [b] rank × in; kept as
         * the product aᵀ · m, m[i, (r, k, l)] = Σ_j t[i, j, k, l] · b[j, r].
         */
        fun tucker(core: LoraMatrix, a: LoraMatrix, b: LoraMatrix): LycorisFactor {
            val kernel = core.kernel
            val rank = a.rows
            require(core.rows == rank && b.rows * kernel == core.cols) {
                "core is ${core.rows} × ${core.cols} (kernel $kernel), a ${a.rows} × ${a.cols}, b ${b.rows} × ${b.cols}"
            }
            val inputs = b.cols
            val m = FloatArray(rank * inputs * kernel)
            for (i in 0 until rank) for (j in 0 until b.rows) for (r in 0 until inputs) {
                val bj = b.values[j * inputs + r]
                for (q in 0 until kernel) m[(i * inputs + r) * kernel + q] += core.values[(i * b.rows + j) * kernel + q] * bj
            }
            val transposed = FloatArray(a.cols * rank) { a.values[(it % rank) * a.cols + it / rank] }
            return LycorisFactor(null, LoraMatrix(a.cols, rank, transposed), LoraMatrix(rank, inputs * kernel, m, kernel))
        }
    }
}

/**
 * A LyCORIS layer, which the engine always merges (neither is one low-rank product that the graph ops could add):
 * LoHa, the element-wise product of two factors, ΔW = f1 ⊙ f2, and LoKr, their Kronecker product, ΔW = f1 ⊗ f2 —
 * for a convolution f1 (out1 × in1) taken as out1 × in1 × 1 × 1, so ΔW is out1·out2 × in1·in2 × k × k. [scale] is
 * stable-diffusion.cpp's: alpha / rank where the file has an alpha, else 1 (see [LycorisLayers]).
 */
class LycorisLayer(override val key: String, val kind: Kind, private val first: LycorisFactor, private val second: LycorisFactor,
                   val scale: Float) : LoraDelta {
    enum class Kind(val label: String) { LOHA("LoHa"), LOKR("LoKr") }

    init {
        require(kind == Kind.LOKR || (first.rows == second.rows && first.cols == second.cols)) {
            "LoHa '$key': ${first.rows} × ${first.cols} and ${second.rows} × ${second.cols} factors"
        }
    }

    override val rows: Int get() = if (kind == Kind.LOHA) first.rows else first.rows * second.rows
    override val cols: Int get() = if (kind == Kind.LOHA) first.cols else first.cols * second.cols

    override fun factor(multiplier: Float): Float = scale * multiplier

    override fun addTo(weights: FloatArray, factor: Float, span: RowSpan?) = when (kind) {
        Kind.LOHA -> LoraMerge.add(weights, this, factor, span) { o, into, scratch ->
            first.row(o, into)
            second.row(o, scratch)
            for (j in into.indices) into[j] *= scratch[j]
        }
        Kind.LOKR -> {
            // The factors are small (their product is the weight's size): each is made whole once.
            val f1 = first.values()
            val f2 = second.values()
            val inner = second.cols
            LoraMerge.add(weights, this, factor, span) { o, into, _ ->
                val a = o / second.rows
                val b = o % second.rows
                for (c in 0 until first.cols) {
                    val x = f1[a * first.cols + c]
                    for (e in 0 until inner) into[c * inner + e] = x * f2[b * inner + e]
                }
            }
        }
    }
}
