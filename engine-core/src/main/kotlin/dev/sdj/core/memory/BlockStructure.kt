package dev.sdj.core.memory

/**
 * A component's parameters divided into the blocks a scheduler may keep resident or stream (UNet levels, DiT
 * blocks), in the order the model runs them, and the rest ("core": embeddings, final layers), which always stays.
 */
class BlockStructure(val core: List<ParamSpec>, val blocks: List<Block>) {

    class Block(val name: String, val specs: List<ParamSpec>)

    init {
        require(blocks.map { it.name }.distinct().size == blocks.size) { "block names repeat: ${blocks.map { it.name }}" }
    }

    companion object {
        /**
         * Groups [specs] by [blockOf] (null: core), the blocks ordered by [order] — the model's execution order,
         * which the streaming ring relies on.
         */
        fun of(specs: List<ParamSpec>, blockOf: (String) -> String?, order: Comparator<String>): BlockStructure {
            val core = ArrayList<ParamSpec>()
            val byBlock = LinkedHashMap<String, MutableList<ParamSpec>>()
            for (s in specs) {
                val b = blockOf(s.name)
                if (b == null) core.add(s) else byBlock.getOrPut(b) { ArrayList() }.add(s)
            }
            return BlockStructure(core, byBlock.keys.sortedWith(order).map { Block(it, byBlock.getValue(it)) })
        }
    }
}
