package dev.sdj.core.family.clip

/**
 * Learns a small CLIP-style vocabulary by plain BPE counting over a fixed English text, so a generated model can
 * carry a working tokenizer: the real CLIP vocabulary may not be copied into the project. The text supports 638
 * merges; asking for more gives those.
 */
internal object TinyClipVocabulary {
    /** Written for this purpose: the kind of words image prompts use, with some repetition so pairs have counts. */
    private val corpus = """
        a photo of a cat sitting on a mat in the sun, a painting of a dog running through a green field.
        a portrait of an old man with a white beard, soft light, highly detailed, sharp focus, studio lighting.
        a beautiful landscape with mountains and a lake at sunset, clouds in the sky, trees on the shore.
        a city street at night with neon lights and rain, people walking under umbrellas, cars passing by.
        an oil painting of flowers in a blue vase on a wooden table next to an open window.
        a small house in the forest covered with snow, smoke rising from the chimney, warm light inside.
        a red apple and a yellow banana on a plate, a glass of water, a cup of coffee on the kitchen counter.
        a young woman reading a book in a library, tall shelves, quiet morning, golden hour light.
        a castle on a hill above the sea, waves breaking on the rocks, birds flying over the water.
        a robot standing in a desert, dust in the air, the moon rising behind distant hills.
        children playing in a park with a ball, a bench under a large tree, spring flowers in bloom.
        a horse in a meadow, a wooden fence, a barn in the background, early morning mist over the grass.
        a bowl of soup with bread, a spoon beside it, steam rising, a cozy restaurant with candles.
        a boat sailing across a calm river, reflections of the bridge and the buildings on the water.
        a drawing of a bird on a branch, black ink on white paper, simple lines, minimal style.
        the interior of a train station with high ceilings, travelers carrying bags, a large clock on the wall.
        a dragon flying over a village, fire and smoke, dramatic sky, epic fantasy art, cinematic scene.
        a close up of a flower with drops of water on the petals, macro photography, shallow depth of field.
        an astronaut floating in space above the earth, stars shining, the sun bright on the helmet.
        a garden with roses and a stone path, a fountain in the middle, butterflies and bees among the plants.
        three people sitting around a campfire at night telling stories, a tent, pine trees, a clear starry sky.
        a watercolor painting of a harbor with fishing boats, seagulls, houses with colorful roofs by the sea.
        a knight in shining armor holding a sword, standing in front of a great wooden door inside a castle.
        a snowy mountain peak under a blue sky, climbers walking in a line, long shadows across the snow.
        a friendly dog and a sleeping cat together on a sofa by the fireplace in a warm living room.
    """.trimIndent()

    fun generate(mergeCount: Int): ClipVocabulary {
        require(mergeCount >= 0) { "merge count must not be negative: $mergeCount" }
        val words = HashMap<List<String>, Int>()
        for (word in ClipText.words(corpus)) words.merge(symbols(ByteLevel.encode(word)), 1, Int::plus)
        var spelled: Map<List<String>, Int> = words
        val known = HashSet(ClipVocabulary.derivedTokens(emptyList()))
        val merges = ArrayList<String>()
        while (merges.size < mergeCount) {
            val (left, right) = mostFrequentNewPair(spelled, known) ?: break
            merges += "$left $right"
            known += left + right
            spelled = spelled.entries.associate { (symbols, count) -> merge(symbols, left, right) to count }
        }
        return ClipVocabulary.fromLists(ClipVocabulary.derivedTokens(merges), merges)
    }

    /** A word's symbols as CLIP's BPE starts them: one per character, the last carrying the end-of-word mark. */
    private fun symbols(word: String): List<String> =
        word.mapIndexed { i, c -> if (i == word.length - 1) c + ClipVocabulary.END_OF_WORD else c.toString() }

    /**
     * The adjacent pair seen most often, ties going to the alphabetically first, so the result never depends on
     * hash order. Pairs whose joined token already exists are passed over: in CLIP's layout a merge's index fixes its
     * token's id, so each merge must add a token of its own.
     */
    private fun mostFrequentNewPair(words: Map<List<String>, Int>, known: Set<String>): Pair<String, String>? {
        val counts = HashMap<Pair<String, String>, Int>()
        for ((symbols, count) in words) {
            for (i in 0 until symbols.size - 1) counts.merge(symbols[i] to symbols[i + 1], count, Int::plus)
        }
        return counts.entries
            .filter { (pair, _) -> pair.first + pair.second !in known }
            .minWithOrNull(compareByDescending<Map.Entry<Pair<String, String>, Int>> { it.value }
                .thenBy { it.key.first }.thenBy { it.key.second })
            ?.key
    }

    private fun merge(symbols: List<String>, left: String, right: String): List<String> {
        val out = ArrayList<String>(symbols.size)
        var i = 0
        while (i < symbols.size) {
            if (i < symbols.size - 1 && symbols[i] == left && symbols[i + 1] == right) {
                out += left + right
                i += 2
            } else {
                out += symbols[i++]
            }
        }
        return out
    }
}
