package dev.sdj.core.family.clip

import java.math.BigInteger

/**
 * Python's `html.unescape`, which CLIP's `basic_clean` applies twice: the same reference syntax, the HTML 5 rules for
 * numeric references, and the same longest-prefix rule for the legacy names that may be written without a semicolon.
 *
 * Named references cover HTML 4's 252 entities (with HTML 5's values), the legacy names and every HTML 5 name that
 * begins with one (so the prefix rule never cuts a name Python knows whole). The rest of HTML 5's 2,231 names, rare
 * in prompts, are left as written where Python would replace them; the JDK has no copy of that table.
 */
internal object HtmlEntities {
    private val reference = Regex("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)")
    private val maxCodePoint = BigInteger.valueOf(0x10FFFF)

    /** name=code points in hex; '*' marks a legacy name, valid without the semicolon. From Python's html.entities. */
    private const val TABLE = """
            Aacute*=C1 aacute*=E1 Acirc*=C2 acirc*=E2 acute*=B4 AElig*=C6 aelig*=E6 Agrave*=C0 agrave*=E0
            alefsym=2135 Alpha=391 alpha=3B1 AMP*=26 amp*=26 and=2227 ang=2220 apos=27 Aring*=C5 aring*=E5
            asymp=2248 Atilde*=C3 atilde*=E3 Auml*=C4 auml*=E4 bdquo=201E Beta=392 beta=3B2 brvbar*=A6
            bull=2022 cap=2229 Ccedil*=C7 ccedil*=E7 cedil*=B8 cent*=A2 centerdot=B7 Chi=3A7 chi=3C7 circ=2C6
            clubs=2663 cong=2245 COPY*=A9 copy*=A9 copysr=2117 crarr=21B5 cup=222A curren*=A4 Dagger=2021
            dagger=2020 dArr=21D3 darr=2193 deg*=B0 Delta=394 delta=3B4 diams=2666 divide*=F7
            divideontimes=22C7 Eacute*=C9 eacute*=E9 Ecirc*=CA ecirc*=EA Egrave*=C8 egrave*=E8 empty=2205
            emsp=2003 ensp=2002 Epsilon=395 epsilon=3B5 equiv=2261 Eta=397 eta=3B7 ETH*=D0 eth*=F0 Euml*=CB
            euml*=EB euro=20AC exist=2203 fnof=192 forall=2200 frac12*=BD frac14*=BC frac34*=BE frasl=2044
            Gamma=393 gamma=3B3 ge=2265 GT*=3E gt*=3E gtcc=2AA7 gtcir=2A7A gtdot=22D7 gtlPar=2995 gtquest=2A7C
            gtrapprox=2A86 gtrarr=2978 gtrdot=22D7 gtreqless=22DB gtreqqless=2A8C gtrless=2277 gtrsim=2273
            hArr=21D4 harr=2194 hearts=2665 hellip=2026 Iacute*=CD iacute*=ED Icirc*=CE icirc*=EE iexcl*=A1
            Igrave*=CC igrave*=EC image=2111 infin=221E int=222B Iota=399 iota=3B9 iquest*=BF isin=2208
            Iuml*=CF iuml*=EF Kappa=39A kappa=3BA Lambda=39B lambda=3BB lang=27E8 laquo*=AB lArr=21D0 larr=2190
            lceil=2308 ldquo=201C le=2264 lfloor=230A lowast=2217 loz=25CA lrm=200E lsaquo=2039 lsquo=2018
            LT*=3C lt*=3C ltcc=2AA6 ltcir=2A79 ltdot=22D6 lthree=22CB ltimes=22C9 ltlarr=2976 ltquest=2A7B
            ltri=25C3 ltrie=22B4 ltrif=25C2 ltrPar=2996 macr*=AF mdash=2014 micro*=B5 middot*=B7 minus=2212
            Mu=39C mu=3BC nabla=2207 nbsp*=A0 ndash=2013 ne=2260 ni=220B not*=AC notin=2209 notindot=22F5+338
            notinE=22F9+338 notinva=2209 notinvb=22F7 notinvc=22F6 notni=220C notniva=220C notnivb=22FE
            notnivc=22FD nsub=2284 Ntilde*=D1 ntilde*=F1 Nu=39D nu=3BD Oacute*=D3 oacute*=F3 Ocirc*=D4
            ocirc*=F4 OElig=152 oelig=153 Ograve*=D2 ograve*=F2 oline=203E Omega=3A9 omega=3C9 Omicron=39F
            omicron=3BF oplus=2295 or=2228 ordf*=AA ordm*=BA Oslash*=D8 oslash*=F8 Otilde*=D5 otilde*=F5
            otimes=2297 Ouml*=D6 ouml*=F6 para*=B6 parallel=2225 part=2202 permil=2030 perp=22A5 Phi=3A6
            phi=3C6 Pi=3A0 pi=3C0 piv=3D6 plusmn*=B1 pound*=A3 Prime=2033 prime=2032 prod=220F prop=221D
            Psi=3A8 psi=3C8 QUOT*=22 quot*=22 radic=221A rang=27E9 raquo*=BB rArr=21D2 rarr=2192 rceil=2309
            rdquo=201D real=211C REG*=AE reg*=AE rfloor=230B Rho=3A1 rho=3C1 rlm=200F rsaquo=203A rsquo=2019
            sbquo=201A Scaron=160 scaron=161 sdot=22C5 sect*=A7 shy*=AD Sigma=3A3 sigma=3C3 sigmaf=3C2 sim=223C
            spades=2660 sub=2282 sube=2286 sum=2211 sup=2283 sup1*=B9 sup2*=B2 sup3*=B3 supe=2287 szlig*=DF
            Tau=3A4 tau=3C4 there4=2234 Theta=398 theta=3B8 thetasym=3D1 thinsp=2009 THORN*=DE thorn*=FE
            tilde=2DC times*=D7 timesb=22A0 timesbar=2A31 timesd=2A30 trade=2122 Uacute*=DA uacute*=FA
            uArr=21D1 uarr=2191 Ucirc*=DB ucirc*=FB Ugrave*=D9 ugrave*=F9 uml*=A8 upsih=3D2 Upsilon=3A5
            upsilon=3C5 Uuml*=DC uuml*=FC weierp=2118 Xi=39E xi=3BE Yacute*=DD yacute*=FD yen*=A5 Yuml=178
            yuml*=FF Zeta=396 zeta=3B6 zwj=200D zwnj=200C
    """

    /** Keyed as Python's table is: "name;" for every entity, plain "name" as well for the legacy ones. */
    private val entities: Map<String, String> = buildMap {
        for (entry in TABLE.trim().split(Regex("\\s+"))) {
            val (name, hex) = entry.split('=')
            val value = hex.split('+').joinToString("") { String(Character.toChars(it.toInt(16))) }
            put(name.removeSuffix("*") + ";", value)
            if (name.endsWith("*")) put(name.removeSuffix("*"), value)
        }
    }

    fun unescape(text: String): String =
        if ('&' !in text) text else reference.replace(text) { replacement(it.groupValues[1]) }

    private fun replacement(ref: String): String = if (ref[0] == '#') numeric(ref) else named(ref)

    private fun numeric(ref: String): String {
        val hex = ref[1] == 'x' || ref[1] == 'X'
        val value = BigInteger(ref.substring(if (hex) 2 else 1).trimEnd(';'), if (hex) 16 else 10)
        if (value > maxCodePoint) return "\uFFFD"
        val cp = value.toInt()
        return when {
            cp == 0 -> "\uFFFD"
            cp == 0x0D -> "\r"
            cp in 0x80..0x9F -> windows1252(cp)
            cp in 0xD800..0xDFFF -> "\uFFFD"
            isNonCharacterOrControl(cp) -> ""
            else -> String(Character.toChars(cp))
        }
    }

    /** HTML 5 reads C1 references as Windows-1252; its five undefined bytes stay the C1 control they name. */
    private fun windows1252(cp: Int): String {
        val decoded = String(byteArrayOf(cp.toByte()), charset("windows-1252"))
        return if (decoded == "\uFFFD") cp.toChar().toString() else decoded
    }

    private fun isNonCharacterOrControl(cp: Int): Boolean =
        cp in 0x01..0x08 || cp == 0x0B || cp in 0x0E..0x1F || cp == 0x7F || cp in 0xFDD0..0xFDEF ||
            (cp and 0xFFFE) == 0xFFFE

    private fun named(ref: String): String {
        entities[ref]?.let { return it }
        // Like Python: the longest leading legacy name (two characters or more) is replaced and the rest kept.
        for (end in ref.length - 1 downTo 2) {
            entities[ref.substring(0, end)]?.let { return it + ref.substring(end) }
        }
        return "&$ref"
    }
}
