/* deflate.c: DEFLATE codec: table-driven streaming inflate, hash-chain lazy deflate, CRC-32 (slice-by-8), Adler-32. */
#include "deflate.h"
#include "internal.h"

#if TN_HAS_DEFLATE
/* ---- policy ----------------------------------------------------------------------------
   - Inflate accepts what zlib's inflate accepts, no more: incomplete Huffman codes only when
     they are a single code of one bit or no code at all (RFC 1951 3.2.7's one distance code),
     a literal/length code must contain end-of-block, distances may not reach before the
     stream start or beyond the window, stored lengths must match their complement, symbols
     286/287 and distances 30/31 are errors, zlib headers need CM 8, a valid FCHECK and no
     preset dictionary, gzip headers need CM 8 and no reserved flag bits.
   - Inflate never allocates: the history window and the decode tables sit in the state.
     Output goes straight to the caller's buffer; the last 2^window_bits bytes of it are
     copied into the history at the end of each call (so any output size works, down to one
     byte), and matches reaching before this call's output read from the history.
   - Deflate keeps a window buffer (history + lookahead), hash heads and chain links as 16-bit
     positions (rebased when the window slides), and a block's symbols as 16-bit units
     (a literal is one unit, a match two). A block ends when the symbol buffer fills or on a
     flush; it is written as dynamic Huffman, fixed Huffman or stored, whichever is smallest
     (stored only while the block's bytes are still in the window). Block output goes straight
     to the caller's buffer, through a small pending buffer when that is short, and resumes
     where it stopped when the output space runs out.
   - Matches are at least 4 bytes (the hash covers 4 bytes), at most 258, never farther than
     2^window_bits. */

/* ---- little-endian loads/stores and bit helpers ---- */
TN__PRIVATE uint64_t tn__deflate_ld64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}
TN__PRIVATE uint32_t tn__deflate_ld32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}
TN__PRIVATE void tn__deflate_st64(unsigned char *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}
/* Index of the lowest set bit (x != 0). */
TN__PRIVATE unsigned tn__deflate_ctz64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}
/* The low n bits of v in reverse order. */
TN__PRIVATE unsigned tn__deflate_rev(unsigned v, unsigned n) {
    unsigned r = 0;
    while (n--) {
        r = (r << 1) | (v & 1);
        v >>= 1;
    }
    return r;
}

/* ---- checksums ---- */
/* CRC-32 tables for slicing by 8: [k][n] is the CRC of byte n followed by k zero bytes (reflected
   polynomial 0xedb88320; generated once with a ten-line script, checked by the tests). */
static const uint32_t tn__deflate_crc_tab[8][256] = {
  {
    0x00000000,0x77073096,0xee0e612c,0x990951ba,0x076dc419,0x706af48f,0xe963a535,0x9e6495a3,
    0x0edb8832,0x79dcb8a4,0xe0d5e91e,0x97d2d988,0x09b64c2b,0x7eb17cbd,0xe7b82d07,0x90bf1d91,
    0x1db71064,0x6ab020f2,0xf3b97148,0x84be41de,0x1adad47d,0x6ddde4eb,0xf4d4b551,0x83d385c7,
    0x136c9856,0x646ba8c0,0xfd62f97a,0x8a65c9ec,0x14015c4f,0x63066cd9,0xfa0f3d63,0x8d080df5,
    0x3b6e20c8,0x4c69105e,0xd56041e4,0xa2677172,0x3c03e4d1,0x4b04d447,0xd20d85fd,0xa50ab56b,
    0x35b5a8fa,0x42b2986c,0xdbbbc9d6,0xacbcf940,0x32d86ce3,0x45df5c75,0xdcd60dcf,0xabd13d59,
    0x26d930ac,0x51de003a,0xc8d75180,0xbfd06116,0x21b4f4b5,0x56b3c423,0xcfba9599,0xb8bda50f,
    0x2802b89e,0x5f058808,0xc60cd9b2,0xb10be924,0x2f6f7c87,0x58684c11,0xc1611dab,0xb6662d3d,
    0x76dc4190,0x01db7106,0x98d220bc,0xefd5102a,0x71b18589,0x06b6b51f,0x9fbfe4a5,0xe8b8d433,
    0x7807c9a2,0x0f00f934,0x9609a88e,0xe10e9818,0x7f6a0dbb,0x086d3d2d,0x91646c97,0xe6635c01,
    0x6b6b51f4,0x1c6c6162,0x856530d8,0xf262004e,0x6c0695ed,0x1b01a57b,0x8208f4c1,0xf50fc457,
    0x65b0d9c6,0x12b7e950,0x8bbeb8ea,0xfcb9887c,0x62dd1ddf,0x15da2d49,0x8cd37cf3,0xfbd44c65,
    0x4db26158,0x3ab551ce,0xa3bc0074,0xd4bb30e2,0x4adfa541,0x3dd895d7,0xa4d1c46d,0xd3d6f4fb,
    0x4369e96a,0x346ed9fc,0xad678846,0xda60b8d0,0x44042d73,0x33031de5,0xaa0a4c5f,0xdd0d7cc9,
    0x5005713c,0x270241aa,0xbe0b1010,0xc90c2086,0x5768b525,0x206f85b3,0xb966d409,0xce61e49f,
    0x5edef90e,0x29d9c998,0xb0d09822,0xc7d7a8b4,0x59b33d17,0x2eb40d81,0xb7bd5c3b,0xc0ba6cad,
    0xedb88320,0x9abfb3b6,0x03b6e20c,0x74b1d29a,0xead54739,0x9dd277af,0x04db2615,0x73dc1683,
    0xe3630b12,0x94643b84,0x0d6d6a3e,0x7a6a5aa8,0xe40ecf0b,0x9309ff9d,0x0a00ae27,0x7d079eb1,
    0xf00f9344,0x8708a3d2,0x1e01f268,0x6906c2fe,0xf762575d,0x806567cb,0x196c3671,0x6e6b06e7,
    0xfed41b76,0x89d32be0,0x10da7a5a,0x67dd4acc,0xf9b9df6f,0x8ebeeff9,0x17b7be43,0x60b08ed5,
    0xd6d6a3e8,0xa1d1937e,0x38d8c2c4,0x4fdff252,0xd1bb67f1,0xa6bc5767,0x3fb506dd,0x48b2364b,
    0xd80d2bda,0xaf0a1b4c,0x36034af6,0x41047a60,0xdf60efc3,0xa867df55,0x316e8eef,0x4669be79,
    0xcb61b38c,0xbc66831a,0x256fd2a0,0x5268e236,0xcc0c7795,0xbb0b4703,0x220216b9,0x5505262f,
    0xc5ba3bbe,0xb2bd0b28,0x2bb45a92,0x5cb36a04,0xc2d7ffa7,0xb5d0cf31,0x2cd99e8b,0x5bdeae1d,
    0x9b64c2b0,0xec63f226,0x756aa39c,0x026d930a,0x9c0906a9,0xeb0e363f,0x72076785,0x05005713,
    0x95bf4a82,0xe2b87a14,0x7bb12bae,0x0cb61b38,0x92d28e9b,0xe5d5be0d,0x7cdcefb7,0x0bdbdf21,
    0x86d3d2d4,0xf1d4e242,0x68ddb3f8,0x1fda836e,0x81be16cd,0xf6b9265b,0x6fb077e1,0x18b74777,
    0x88085ae6,0xff0f6a70,0x66063bca,0x11010b5c,0x8f659eff,0xf862ae69,0x616bffd3,0x166ccf45,
    0xa00ae278,0xd70dd2ee,0x4e048354,0x3903b3c2,0xa7672661,0xd06016f7,0x4969474d,0x3e6e77db,
    0xaed16a4a,0xd9d65adc,0x40df0b66,0x37d83bf0,0xa9bcae53,0xdebb9ec5,0x47b2cf7f,0x30b5ffe9,
    0xbdbdf21c,0xcabac28a,0x53b39330,0x24b4a3a6,0xbad03605,0xcdd70693,0x54de5729,0x23d967bf,
    0xb3667a2e,0xc4614ab8,0x5d681b02,0x2a6f2b94,0xb40bbe37,0xc30c8ea1,0x5a05df1b,0x2d02ef8d,
  },
  {
    0x00000000,0x191b3141,0x32366282,0x2b2d53c3,0x646cc504,0x7d77f445,0x565aa786,0x4f4196c7,
    0xc8d98a08,0xd1c2bb49,0xfaefe88a,0xe3f4d9cb,0xacb54f0c,0xb5ae7e4d,0x9e832d8e,0x87981ccf,
    0x4ac21251,0x53d92310,0x78f470d3,0x61ef4192,0x2eaed755,0x37b5e614,0x1c98b5d7,0x05838496,
    0x821b9859,0x9b00a918,0xb02dfadb,0xa936cb9a,0xe6775d5d,0xff6c6c1c,0xd4413fdf,0xcd5a0e9e,
    0x958424a2,0x8c9f15e3,0xa7b24620,0xbea97761,0xf1e8e1a6,0xe8f3d0e7,0xc3de8324,0xdac5b265,
    0x5d5daeaa,0x44469feb,0x6f6bcc28,0x7670fd69,0x39316bae,0x202a5aef,0x0b07092c,0x121c386d,
    0xdf4636f3,0xc65d07b2,0xed705471,0xf46b6530,0xbb2af3f7,0xa231c2b6,0x891c9175,0x9007a034,
    0x179fbcfb,0x0e848dba,0x25a9de79,0x3cb2ef38,0x73f379ff,0x6ae848be,0x41c51b7d,0x58de2a3c,
    0xf0794f05,0xe9627e44,0xc24f2d87,0xdb541cc6,0x94158a01,0x8d0ebb40,0xa623e883,0xbf38d9c2,
    0x38a0c50d,0x21bbf44c,0x0a96a78f,0x138d96ce,0x5ccc0009,0x45d73148,0x6efa628b,0x77e153ca,
    0xbabb5d54,0xa3a06c15,0x888d3fd6,0x91960e97,0xded79850,0xc7cca911,0xece1fad2,0xf5facb93,
    0x7262d75c,0x6b79e61d,0x4054b5de,0x594f849f,0x160e1258,0x0f152319,0x243870da,0x3d23419b,
    0x65fd6ba7,0x7ce65ae6,0x57cb0925,0x4ed03864,0x0191aea3,0x188a9fe2,0x33a7cc21,0x2abcfd60,
    0xad24e1af,0xb43fd0ee,0x9f12832d,0x8609b26c,0xc94824ab,0xd05315ea,0xfb7e4629,0xe2657768,
    0x2f3f79f6,0x362448b7,0x1d091b74,0x04122a35,0x4b53bcf2,0x52488db3,0x7965de70,0x607eef31,
    0xe7e6f3fe,0xfefdc2bf,0xd5d0917c,0xcccba03d,0x838a36fa,0x9a9107bb,0xb1bc5478,0xa8a76539,
    0x3b83984b,0x2298a90a,0x09b5fac9,0x10aecb88,0x5fef5d4f,0x46f46c0e,0x6dd93fcd,0x74c20e8c,
    0xf35a1243,0xea412302,0xc16c70c1,0xd8774180,0x9736d747,0x8e2de606,0xa500b5c5,0xbc1b8484,
    0x71418a1a,0x685abb5b,0x4377e898,0x5a6cd9d9,0x152d4f1e,0x0c367e5f,0x271b2d9c,0x3e001cdd,
    0xb9980012,0xa0833153,0x8bae6290,0x92b553d1,0xddf4c516,0xc4eff457,0xefc2a794,0xf6d996d5,
    0xae07bce9,0xb71c8da8,0x9c31de6b,0x852aef2a,0xca6b79ed,0xd37048ac,0xf85d1b6f,0xe1462a2e,
    0x66de36e1,0x7fc507a0,0x54e85463,0x4df36522,0x02b2f3e5,0x1ba9c2a4,0x30849167,0x299fa026,
    0xe4c5aeb8,0xfdde9ff9,0xd6f3cc3a,0xcfe8fd7b,0x80a96bbc,0x99b25afd,0xb29f093e,0xab84387f,
    0x2c1c24b0,0x350715f1,0x1e2a4632,0x07317773,0x4870e1b4,0x516bd0f5,0x7a468336,0x635db277,
    0xcbfad74e,0xd2e1e60f,0xf9ccb5cc,0xe0d7848d,0xaf96124a,0xb68d230b,0x9da070c8,0x84bb4189,
    0x03235d46,0x1a386c07,0x31153fc4,0x280e0e85,0x674f9842,0x7e54a903,0x5579fac0,0x4c62cb81,
    0x8138c51f,0x9823f45e,0xb30ea79d,0xaa1596dc,0xe554001b,0xfc4f315a,0xd7626299,0xce7953d8,
    0x49e14f17,0x50fa7e56,0x7bd72d95,0x62cc1cd4,0x2d8d8a13,0x3496bb52,0x1fbbe891,0x06a0d9d0,
    0x5e7ef3ec,0x4765c2ad,0x6c48916e,0x7553a02f,0x3a1236e8,0x230907a9,0x0824546a,0x113f652b,
    0x96a779e4,0x8fbc48a5,0xa4911b66,0xbd8a2a27,0xf2cbbce0,0xebd08da1,0xc0fdde62,0xd9e6ef23,
    0x14bce1bd,0x0da7d0fc,0x268a833f,0x3f91b27e,0x70d024b9,0x69cb15f8,0x42e6463b,0x5bfd777a,
    0xdc656bb5,0xc57e5af4,0xee530937,0xf7483876,0xb809aeb1,0xa1129ff0,0x8a3fcc33,0x9324fd72,
  },
  {
    0x00000000,0x01c26a37,0x0384d46e,0x0246be59,0x0709a8dc,0x06cbc2eb,0x048d7cb2,0x054f1685,
    0x0e1351b8,0x0fd13b8f,0x0d9785d6,0x0c55efe1,0x091af964,0x08d89353,0x0a9e2d0a,0x0b5c473d,
    0x1c26a370,0x1de4c947,0x1fa2771e,0x1e601d29,0x1b2f0bac,0x1aed619b,0x18abdfc2,0x1969b5f5,
    0x1235f2c8,0x13f798ff,0x11b126a6,0x10734c91,0x153c5a14,0x14fe3023,0x16b88e7a,0x177ae44d,
    0x384d46e0,0x398f2cd7,0x3bc9928e,0x3a0bf8b9,0x3f44ee3c,0x3e86840b,0x3cc03a52,0x3d025065,
    0x365e1758,0x379c7d6f,0x35dac336,0x3418a901,0x3157bf84,0x3095d5b3,0x32d36bea,0x331101dd,
    0x246be590,0x25a98fa7,0x27ef31fe,0x262d5bc9,0x23624d4c,0x22a0277b,0x20e69922,0x2124f315,
    0x2a78b428,0x2bbade1f,0x29fc6046,0x283e0a71,0x2d711cf4,0x2cb376c3,0x2ef5c89a,0x2f37a2ad,
    0x709a8dc0,0x7158e7f7,0x731e59ae,0x72dc3399,0x7793251c,0x76514f2b,0x7417f172,0x75d59b45,
    0x7e89dc78,0x7f4bb64f,0x7d0d0816,0x7ccf6221,0x798074a4,0x78421e93,0x7a04a0ca,0x7bc6cafd,
    0x6cbc2eb0,0x6d7e4487,0x6f38fade,0x6efa90e9,0x6bb5866c,0x6a77ec5b,0x68315202,0x69f33835,
    0x62af7f08,0x636d153f,0x612bab66,0x60e9c151,0x65a6d7d4,0x6464bde3,0x662203ba,0x67e0698d,
    0x48d7cb20,0x4915a117,0x4b531f4e,0x4a917579,0x4fde63fc,0x4e1c09cb,0x4c5ab792,0x4d98dda5,
    0x46c49a98,0x4706f0af,0x45404ef6,0x448224c1,0x41cd3244,0x400f5873,0x4249e62a,0x438b8c1d,
    0x54f16850,0x55330267,0x5775bc3e,0x56b7d609,0x53f8c08c,0x523aaabb,0x507c14e2,0x51be7ed5,
    0x5ae239e8,0x5b2053df,0x5966ed86,0x58a487b1,0x5deb9134,0x5c29fb03,0x5e6f455a,0x5fad2f6d,
    0xe1351b80,0xe0f771b7,0xe2b1cfee,0xe373a5d9,0xe63cb35c,0xe7fed96b,0xe5b86732,0xe47a0d05,
    0xef264a38,0xeee4200f,0xeca29e56,0xed60f461,0xe82fe2e4,0xe9ed88d3,0xebab368a,0xea695cbd,
    0xfd13b8f0,0xfcd1d2c7,0xfe976c9e,0xff5506a9,0xfa1a102c,0xfbd87a1b,0xf99ec442,0xf85cae75,
    0xf300e948,0xf2c2837f,0xf0843d26,0xf1465711,0xf4094194,0xf5cb2ba3,0xf78d95fa,0xf64fffcd,
    0xd9785d60,0xd8ba3757,0xdafc890e,0xdb3ee339,0xde71f5bc,0xdfb39f8b,0xddf521d2,0xdc374be5,
    0xd76b0cd8,0xd6a966ef,0xd4efd8b6,0xd52db281,0xd062a404,0xd1a0ce33,0xd3e6706a,0xd2241a5d,
    0xc55efe10,0xc49c9427,0xc6da2a7e,0xc7184049,0xc25756cc,0xc3953cfb,0xc1d382a2,0xc011e895,
    0xcb4dafa8,0xca8fc59f,0xc8c97bc6,0xc90b11f1,0xcc440774,0xcd866d43,0xcfc0d31a,0xce02b92d,
    0x91af9640,0x906dfc77,0x922b422e,0x93e92819,0x96a63e9c,0x976454ab,0x9522eaf2,0x94e080c5,
    0x9fbcc7f8,0x9e7eadcf,0x9c381396,0x9dfa79a1,0x98b56f24,0x99770513,0x9b31bb4a,0x9af3d17d,
    0x8d893530,0x8c4b5f07,0x8e0de15e,0x8fcf8b69,0x8a809dec,0x8b42f7db,0x89044982,0x88c623b5,
    0x839a6488,0x82580ebf,0x801eb0e6,0x81dcdad1,0x8493cc54,0x8551a663,0x8717183a,0x86d5720d,
    0xa9e2d0a0,0xa820ba97,0xaa6604ce,0xaba46ef9,0xaeeb787c,0xaf29124b,0xad6fac12,0xacadc625,
    0xa7f18118,0xa633eb2f,0xa4755576,0xa5b73f41,0xa0f829c4,0xa13a43f3,0xa37cfdaa,0xa2be979d,
    0xb5c473d0,0xb40619e7,0xb640a7be,0xb782cd89,0xb2cddb0c,0xb30fb13b,0xb1490f62,0xb08b6555,
    0xbbd72268,0xba15485f,0xb853f606,0xb9919c31,0xbcde8ab4,0xbd1ce083,0xbf5a5eda,0xbe9834ed,
  },
  {
    0x00000000,0xb8bc6765,0xaa09c88b,0x12b5afee,0x8f629757,0x37def032,0x256b5fdc,0x9dd738b9,
    0xc5b428ef,0x7d084f8a,0x6fbde064,0xd7018701,0x4ad6bfb8,0xf26ad8dd,0xe0df7733,0x58631056,
    0x5019579f,0xe8a530fa,0xfa109f14,0x42acf871,0xdf7bc0c8,0x67c7a7ad,0x75720843,0xcdce6f26,
    0x95ad7f70,0x2d111815,0x3fa4b7fb,0x8718d09e,0x1acfe827,0xa2738f42,0xb0c620ac,0x087a47c9,
    0xa032af3e,0x188ec85b,0x0a3b67b5,0xb28700d0,0x2f503869,0x97ec5f0c,0x8559f0e2,0x3de59787,
    0x658687d1,0xdd3ae0b4,0xcf8f4f5a,0x7733283f,0xeae41086,0x525877e3,0x40edd80d,0xf851bf68,
    0xf02bf8a1,0x48979fc4,0x5a22302a,0xe29e574f,0x7f496ff6,0xc7f50893,0xd540a77d,0x6dfcc018,
    0x359fd04e,0x8d23b72b,0x9f9618c5,0x272a7fa0,0xbafd4719,0x0241207c,0x10f48f92,0xa848e8f7,
    0x9b14583d,0x23a83f58,0x311d90b6,0x89a1f7d3,0x1476cf6a,0xaccaa80f,0xbe7f07e1,0x06c36084,
    0x5ea070d2,0xe61c17b7,0xf4a9b859,0x4c15df3c,0xd1c2e785,0x697e80e0,0x7bcb2f0e,0xc377486b,
    0xcb0d0fa2,0x73b168c7,0x6104c729,0xd9b8a04c,0x446f98f5,0xfcd3ff90,0xee66507e,0x56da371b,
    0x0eb9274d,0xb6054028,0xa4b0efc6,0x1c0c88a3,0x81dbb01a,0x3967d77f,0x2bd27891,0x936e1ff4,
    0x3b26f703,0x839a9066,0x912f3f88,0x299358ed,0xb4446054,0x0cf80731,0x1e4da8df,0xa6f1cfba,
    0xfe92dfec,0x462eb889,0x549b1767,0xec277002,0x71f048bb,0xc94c2fde,0xdbf98030,0x6345e755,
    0x6b3fa09c,0xd383c7f9,0xc1366817,0x798a0f72,0xe45d37cb,0x5ce150ae,0x4e54ff40,0xf6e89825,
    0xae8b8873,0x1637ef16,0x048240f8,0xbc3e279d,0x21e91f24,0x99557841,0x8be0d7af,0x335cb0ca,
    0xed59b63b,0x55e5d15e,0x47507eb0,0xffec19d5,0x623b216c,0xda874609,0xc832e9e7,0x708e8e82,
    0x28ed9ed4,0x9051f9b1,0x82e4565f,0x3a58313a,0xa78f0983,0x1f336ee6,0x0d86c108,0xb53aa66d,
    0xbd40e1a4,0x05fc86c1,0x1749292f,0xaff54e4a,0x322276f3,0x8a9e1196,0x982bbe78,0x2097d91d,
    0x78f4c94b,0xc048ae2e,0xd2fd01c0,0x6a4166a5,0xf7965e1c,0x4f2a3979,0x5d9f9697,0xe523f1f2,
    0x4d6b1905,0xf5d77e60,0xe762d18e,0x5fdeb6eb,0xc2098e52,0x7ab5e937,0x680046d9,0xd0bc21bc,
    0x88df31ea,0x3063568f,0x22d6f961,0x9a6a9e04,0x07bda6bd,0xbf01c1d8,0xadb46e36,0x15080953,
    0x1d724e9a,0xa5ce29ff,0xb77b8611,0x0fc7e174,0x9210d9cd,0x2aacbea8,0x38191146,0x80a57623,
    0xd8c66675,0x607a0110,0x72cfaefe,0xca73c99b,0x57a4f122,0xef189647,0xfdad39a9,0x45115ecc,
    0x764dee06,0xcef18963,0xdc44268d,0x64f841e8,0xf92f7951,0x41931e34,0x5326b1da,0xeb9ad6bf,
    0xb3f9c6e9,0x0b45a18c,0x19f00e62,0xa14c6907,0x3c9b51be,0x842736db,0x96929935,0x2e2efe50,
    0x2654b999,0x9ee8defc,0x8c5d7112,0x34e11677,0xa9362ece,0x118a49ab,0x033fe645,0xbb838120,
    0xe3e09176,0x5b5cf613,0x49e959fd,0xf1553e98,0x6c820621,0xd43e6144,0xc68bceaa,0x7e37a9cf,
    0xd67f4138,0x6ec3265d,0x7c7689b3,0xc4caeed6,0x591dd66f,0xe1a1b10a,0xf3141ee4,0x4ba87981,
    0x13cb69d7,0xab770eb2,0xb9c2a15c,0x017ec639,0x9ca9fe80,0x241599e5,0x36a0360b,0x8e1c516e,
    0x866616a7,0x3eda71c2,0x2c6fde2c,0x94d3b949,0x090481f0,0xb1b8e695,0xa30d497b,0x1bb12e1e,
    0x43d23e48,0xfb6e592d,0xe9dbf6c3,0x516791a6,0xccb0a91f,0x740cce7a,0x66b96194,0xde0506f1,
  },
  {
    0x00000000,0x3d6029b0,0x7ac05360,0x47a07ad0,0xf580a6c0,0xc8e08f70,0x8f40f5a0,0xb220dc10,
    0x30704bc1,0x0d106271,0x4ab018a1,0x77d03111,0xc5f0ed01,0xf890c4b1,0xbf30be61,0x825097d1,
    0x60e09782,0x5d80be32,0x1a20c4e2,0x2740ed52,0x95603142,0xa80018f2,0xefa06222,0xd2c04b92,
    0x5090dc43,0x6df0f5f3,0x2a508f23,0x1730a693,0xa5107a83,0x98705333,0xdfd029e3,0xe2b00053,
    0xc1c12f04,0xfca106b4,0xbb017c64,0x866155d4,0x344189c4,0x0921a074,0x4e81daa4,0x73e1f314,
    0xf1b164c5,0xccd14d75,0x8b7137a5,0xb6111e15,0x0431c205,0x3951ebb5,0x7ef19165,0x4391b8d5,
    0xa121b886,0x9c419136,0xdbe1ebe6,0xe681c256,0x54a11e46,0x69c137f6,0x2e614d26,0x13016496,
    0x9151f347,0xac31daf7,0xeb91a027,0xd6f18997,0x64d15587,0x59b17c37,0x1e1106e7,0x23712f57,
    0x58f35849,0x659371f9,0x22330b29,0x1f532299,0xad73fe89,0x9013d739,0xd7b3ade9,0xead38459,
    0x68831388,0x55e33a38,0x124340e8,0x2f236958,0x9d03b548,0xa0639cf8,0xe7c3e628,0xdaa3cf98,
    0x3813cfcb,0x0573e67b,0x42d39cab,0x7fb3b51b,0xcd93690b,0xf0f340bb,0xb7533a6b,0x8a3313db,
    0x0863840a,0x3503adba,0x72a3d76a,0x4fc3feda,0xfde322ca,0xc0830b7a,0x872371aa,0xba43581a,
    0x9932774d,0xa4525efd,0xe3f2242d,0xde920d9d,0x6cb2d18d,0x51d2f83d,0x167282ed,0x2b12ab5d,
    0xa9423c8c,0x9422153c,0xd3826fec,0xeee2465c,0x5cc29a4c,0x61a2b3fc,0x2602c92c,0x1b62e09c,
    0xf9d2e0cf,0xc4b2c97f,0x8312b3af,0xbe729a1f,0x0c52460f,0x31326fbf,0x7692156f,0x4bf23cdf,
    0xc9a2ab0e,0xf4c282be,0xb362f86e,0x8e02d1de,0x3c220dce,0x0142247e,0x46e25eae,0x7b82771e,
    0xb1e6b092,0x8c869922,0xcb26e3f2,0xf646ca42,0x44661652,0x79063fe2,0x3ea64532,0x03c66c82,
    0x8196fb53,0xbcf6d2e3,0xfb56a833,0xc6368183,0x74165d93,0x49767423,0x0ed60ef3,0x33b62743,
    0xd1062710,0xec660ea0,0xabc67470,0x96a65dc0,0x248681d0,0x19e6a860,0x5e46d2b0,0x6326fb00,
    0xe1766cd1,0xdc164561,0x9bb63fb1,0xa6d61601,0x14f6ca11,0x2996e3a1,0x6e369971,0x5356b0c1,
    0x70279f96,0x4d47b626,0x0ae7ccf6,0x3787e546,0x85a73956,0xb8c710e6,0xff676a36,0xc2074386,
    0x4057d457,0x7d37fde7,0x3a978737,0x07f7ae87,0xb5d77297,0x88b75b27,0xcf1721f7,0xf2770847,
    0x10c70814,0x2da721a4,0x6a075b74,0x576772c4,0xe547aed4,0xd8278764,0x9f87fdb4,0xa2e7d404,
    0x20b743d5,0x1dd76a65,0x5a7710b5,0x67173905,0xd537e515,0xe857cca5,0xaff7b675,0x92979fc5,
    0xe915e8db,0xd475c16b,0x93d5bbbb,0xaeb5920b,0x1c954e1b,0x21f567ab,0x66551d7b,0x5b3534cb,
    0xd965a31a,0xe4058aaa,0xa3a5f07a,0x9ec5d9ca,0x2ce505da,0x11852c6a,0x562556ba,0x6b457f0a,
    0x89f57f59,0xb49556e9,0xf3352c39,0xce550589,0x7c75d999,0x4115f029,0x06b58af9,0x3bd5a349,
    0xb9853498,0x84e51d28,0xc34567f8,0xfe254e48,0x4c059258,0x7165bbe8,0x36c5c138,0x0ba5e888,
    0x28d4c7df,0x15b4ee6f,0x521494bf,0x6f74bd0f,0xdd54611f,0xe03448af,0xa794327f,0x9af41bcf,
    0x18a48c1e,0x25c4a5ae,0x6264df7e,0x5f04f6ce,0xed242ade,0xd044036e,0x97e479be,0xaa84500e,
    0x4834505d,0x755479ed,0x32f4033d,0x0f942a8d,0xbdb4f69d,0x80d4df2d,0xc774a5fd,0xfa148c4d,
    0x78441b9c,0x4524322c,0x028448fc,0x3fe4614c,0x8dc4bd5c,0xb0a494ec,0xf704ee3c,0xca64c78c,
  },
  {
    0x00000000,0xcb5cd3a5,0x4dc8a10b,0x869472ae,0x9b914216,0x50cd91b3,0xd659e31d,0x1d0530b8,
    0xec53826d,0x270f51c8,0xa19b2366,0x6ac7f0c3,0x77c2c07b,0xbc9e13de,0x3a0a6170,0xf156b2d5,
    0x03d6029b,0xc88ad13e,0x4e1ea390,0x85427035,0x9847408d,0x531b9328,0xd58fe186,0x1ed33223,
    0xef8580f6,0x24d95353,0xa24d21fd,0x6911f258,0x7414c2e0,0xbf481145,0x39dc63eb,0xf280b04e,
    0x07ac0536,0xccf0d693,0x4a64a43d,0x81387798,0x9c3d4720,0x57619485,0xd1f5e62b,0x1aa9358e,
    0xebff875b,0x20a354fe,0xa6372650,0x6d6bf5f5,0x706ec54d,0xbb3216e8,0x3da66446,0xf6fab7e3,
    0x047a07ad,0xcf26d408,0x49b2a6a6,0x82ee7503,0x9feb45bb,0x54b7961e,0xd223e4b0,0x197f3715,
    0xe82985c0,0x23755665,0xa5e124cb,0x6ebdf76e,0x73b8c7d6,0xb8e41473,0x3e7066dd,0xf52cb578,
    0x0f580a6c,0xc404d9c9,0x4290ab67,0x89cc78c2,0x94c9487a,0x5f959bdf,0xd901e971,0x125d3ad4,
    0xe30b8801,0x28575ba4,0xaec3290a,0x659ffaaf,0x789aca17,0xb3c619b2,0x35526b1c,0xfe0eb8b9,
    0x0c8e08f7,0xc7d2db52,0x4146a9fc,0x8a1a7a59,0x971f4ae1,0x5c439944,0xdad7ebea,0x118b384f,
    0xe0dd8a9a,0x2b81593f,0xad152b91,0x6649f834,0x7b4cc88c,0xb0101b29,0x36846987,0xfdd8ba22,
    0x08f40f5a,0xc3a8dcff,0x453cae51,0x8e607df4,0x93654d4c,0x58399ee9,0xdeadec47,0x15f13fe2,
    0xe4a78d37,0x2ffb5e92,0xa96f2c3c,0x6233ff99,0x7f36cf21,0xb46a1c84,0x32fe6e2a,0xf9a2bd8f,
    0x0b220dc1,0xc07ede64,0x46eaacca,0x8db67f6f,0x90b34fd7,0x5bef9c72,0xdd7beedc,0x16273d79,
    0xe7718fac,0x2c2d5c09,0xaab92ea7,0x61e5fd02,0x7ce0cdba,0xb7bc1e1f,0x31286cb1,0xfa74bf14,
    0x1eb014d8,0xd5ecc77d,0x5378b5d3,0x98246676,0x852156ce,0x4e7d856b,0xc8e9f7c5,0x03b52460,
    0xf2e396b5,0x39bf4510,0xbf2b37be,0x7477e41b,0x6972d4a3,0xa22e0706,0x24ba75a8,0xefe6a60d,
    0x1d661643,0xd63ac5e6,0x50aeb748,0x9bf264ed,0x86f75455,0x4dab87f0,0xcb3ff55e,0x006326fb,
    0xf135942e,0x3a69478b,0xbcfd3525,0x77a1e680,0x6aa4d638,0xa1f8059d,0x276c7733,0xec30a496,
    0x191c11ee,0xd240c24b,0x54d4b0e5,0x9f886340,0x828d53f8,0x49d1805d,0xcf45f2f3,0x04192156,
    0xf54f9383,0x3e134026,0xb8873288,0x73dbe12d,0x6eded195,0xa5820230,0x2316709e,0xe84aa33b,
    0x1aca1375,0xd196c0d0,0x5702b27e,0x9c5e61db,0x815b5163,0x4a0782c6,0xcc93f068,0x07cf23cd,
    0xf6999118,0x3dc542bd,0xbb513013,0x700de3b6,0x6d08d30e,0xa65400ab,0x20c07205,0xeb9ca1a0,
    0x11e81eb4,0xdab4cd11,0x5c20bfbf,0x977c6c1a,0x8a795ca2,0x41258f07,0xc7b1fda9,0x0ced2e0c,
    0xfdbb9cd9,0x36e74f7c,0xb0733dd2,0x7b2fee77,0x662adecf,0xad760d6a,0x2be27fc4,0xe0beac61,
    0x123e1c2f,0xd962cf8a,0x5ff6bd24,0x94aa6e81,0x89af5e39,0x42f38d9c,0xc467ff32,0x0f3b2c97,
    0xfe6d9e42,0x35314de7,0xb3a53f49,0x78f9ecec,0x65fcdc54,0xaea00ff1,0x28347d5f,0xe368aefa,
    0x16441b82,0xdd18c827,0x5b8cba89,0x90d0692c,0x8dd55994,0x46898a31,0xc01df89f,0x0b412b3a,
    0xfa1799ef,0x314b4a4a,0xb7df38e4,0x7c83eb41,0x6186dbf9,0xaada085c,0x2c4e7af2,0xe712a957,
    0x15921919,0xdececabc,0x585ab812,0x93066bb7,0x8e035b0f,0x455f88aa,0xc3cbfa04,0x089729a1,
    0xf9c19b74,0x329d48d1,0xb4093a7f,0x7f55e9da,0x6250d962,0xa90c0ac7,0x2f987869,0xe4c4abcc,
  },
  {
    0x00000000,0xa6770bb4,0x979f1129,0x31e81a9d,0xf44f2413,0x52382fa7,0x63d0353a,0xc5a73e8e,
    0x33ef4e67,0x959845d3,0xa4705f4e,0x020754fa,0xc7a06a74,0x61d761c0,0x503f7b5d,0xf64870e9,
    0x67de9cce,0xc1a9977a,0xf0418de7,0x56368653,0x9391b8dd,0x35e6b369,0x040ea9f4,0xa279a240,
    0x5431d2a9,0xf246d91d,0xc3aec380,0x65d9c834,0xa07ef6ba,0x0609fd0e,0x37e1e793,0x9196ec27,
    0xcfbd399c,0x69ca3228,0x582228b5,0xfe552301,0x3bf21d8f,0x9d85163b,0xac6d0ca6,0x0a1a0712,
    0xfc5277fb,0x5a257c4f,0x6bcd66d2,0xcdba6d66,0x081d53e8,0xae6a585c,0x9f8242c1,0x39f54975,
    0xa863a552,0x0e14aee6,0x3ffcb47b,0x998bbfcf,0x5c2c8141,0xfa5b8af5,0xcbb39068,0x6dc49bdc,
    0x9b8ceb35,0x3dfbe081,0x0c13fa1c,0xaa64f1a8,0x6fc3cf26,0xc9b4c492,0xf85cde0f,0x5e2bd5bb,
    0x440b7579,0xe27c7ecd,0xd3946450,0x75e36fe4,0xb044516a,0x16335ade,0x27db4043,0x81ac4bf7,
    0x77e43b1e,0xd19330aa,0xe07b2a37,0x460c2183,0x83ab1f0d,0x25dc14b9,0x14340e24,0xb2430590,
    0x23d5e9b7,0x85a2e203,0xb44af89e,0x123df32a,0xd79acda4,0x71edc610,0x4005dc8d,0xe672d739,
    0x103aa7d0,0xb64dac64,0x87a5b6f9,0x21d2bd4d,0xe47583c3,0x42028877,0x73ea92ea,0xd59d995e,
    0x8bb64ce5,0x2dc14751,0x1c295dcc,0xba5e5678,0x7ff968f6,0xd98e6342,0xe86679df,0x4e11726b,
    0xb8590282,0x1e2e0936,0x2fc613ab,0x89b1181f,0x4c162691,0xea612d25,0xdb8937b8,0x7dfe3c0c,
    0xec68d02b,0x4a1fdb9f,0x7bf7c102,0xdd80cab6,0x1827f438,0xbe50ff8c,0x8fb8e511,0x29cfeea5,
    0xdf879e4c,0x79f095f8,0x48188f65,0xee6f84d1,0x2bc8ba5f,0x8dbfb1eb,0xbc57ab76,0x1a20a0c2,
    0x8816eaf2,0x2e61e146,0x1f89fbdb,0xb9fef06f,0x7c59cee1,0xda2ec555,0xebc6dfc8,0x4db1d47c,
    0xbbf9a495,0x1d8eaf21,0x2c66b5bc,0x8a11be08,0x4fb68086,0xe9c18b32,0xd82991af,0x7e5e9a1b,
    0xefc8763c,0x49bf7d88,0x78576715,0xde206ca1,0x1b87522f,0xbdf0599b,0x8c184306,0x2a6f48b2,
    0xdc27385b,0x7a5033ef,0x4bb82972,0xedcf22c6,0x28681c48,0x8e1f17fc,0xbff70d61,0x198006d5,
    0x47abd36e,0xe1dcd8da,0xd034c247,0x7643c9f3,0xb3e4f77d,0x1593fcc9,0x247be654,0x820cede0,
    0x74449d09,0xd23396bd,0xe3db8c20,0x45ac8794,0x800bb91a,0x267cb2ae,0x1794a833,0xb1e3a387,
    0x20754fa0,0x86024414,0xb7ea5e89,0x119d553d,0xd43a6bb3,0x724d6007,0x43a57a9a,0xe5d2712e,
    0x139a01c7,0xb5ed0a73,0x840510ee,0x22721b5a,0xe7d525d4,0x41a22e60,0x704a34fd,0xd63d3f49,
    0xcc1d9f8b,0x6a6a943f,0x5b828ea2,0xfdf58516,0x3852bb98,0x9e25b02c,0xafcdaab1,0x09baa105,
    0xfff2d1ec,0x5985da58,0x686dc0c5,0xce1acb71,0x0bbdf5ff,0xadcafe4b,0x9c22e4d6,0x3a55ef62,
    0xabc30345,0x0db408f1,0x3c5c126c,0x9a2b19d8,0x5f8c2756,0xf9fb2ce2,0xc813367f,0x6e643dcb,
    0x982c4d22,0x3e5b4696,0x0fb35c0b,0xa9c457bf,0x6c636931,0xca146285,0xfbfc7818,0x5d8b73ac,
    0x03a0a617,0xa5d7ada3,0x943fb73e,0x3248bc8a,0xf7ef8204,0x519889b0,0x6070932d,0xc6079899,
    0x304fe870,0x9638e3c4,0xa7d0f959,0x01a7f2ed,0xc400cc63,0x6277c7d7,0x539fdd4a,0xf5e8d6fe,
    0x647e3ad9,0xc209316d,0xf3e12bf0,0x55962044,0x90311eca,0x3646157e,0x07ae0fe3,0xa1d90457,
    0x579174be,0xf1e67f0a,0xc00e6597,0x66796e23,0xa3de50ad,0x05a95b19,0x34414184,0x92364a30,
  },
  {
    0x00000000,0xccaa009e,0x4225077d,0x8e8f07e3,0x844a0efa,0x48e00e64,0xc66f0987,0x0ac50919,
    0xd3e51bb5,0x1f4f1b2b,0x91c01cc8,0x5d6a1c56,0x57af154f,0x9b0515d1,0x158a1232,0xd92012ac,
    0x7cbb312b,0xb01131b5,0x3e9e3656,0xf23436c8,0xf8f13fd1,0x345b3f4f,0xbad438ac,0x767e3832,
    0xaf5e2a9e,0x63f42a00,0xed7b2de3,0x21d12d7d,0x2b142464,0xe7be24fa,0x69312319,0xa59b2387,
    0xf9766256,0x35dc62c8,0xbb53652b,0x77f965b5,0x7d3c6cac,0xb1966c32,0x3f196bd1,0xf3b36b4f,
    0x2a9379e3,0xe639797d,0x68b67e9e,0xa41c7e00,0xaed97719,0x62737787,0xecfc7064,0x205670fa,
    0x85cd537d,0x496753e3,0xc7e85400,0x0b42549e,0x01875d87,0xcd2d5d19,0x43a25afa,0x8f085a64,
    0x562848c8,0x9a824856,0x140d4fb5,0xd8a74f2b,0xd2624632,0x1ec846ac,0x9047414f,0x5ced41d1,
    0x299dc2ed,0xe537c273,0x6bb8c590,0xa712c50e,0xadd7cc17,0x617dcc89,0xeff2cb6a,0x2358cbf4,
    0xfa78d958,0x36d2d9c6,0xb85dde25,0x74f7debb,0x7e32d7a2,0xb298d73c,0x3c17d0df,0xf0bdd041,
    0x5526f3c6,0x998cf358,0x1703f4bb,0xdba9f425,0xd16cfd3c,0x1dc6fda2,0x9349fa41,0x5fe3fadf,
    0x86c3e873,0x4a69e8ed,0xc4e6ef0e,0x084cef90,0x0289e689,0xce23e617,0x40ace1f4,0x8c06e16a,
    0xd0eba0bb,0x1c41a025,0x92cea7c6,0x5e64a758,0x54a1ae41,0x980baedf,0x1684a93c,0xda2ea9a2,
    0x030ebb0e,0xcfa4bb90,0x412bbc73,0x8d81bced,0x8744b5f4,0x4beeb56a,0xc561b289,0x09cbb217,
    0xac509190,0x60fa910e,0xee7596ed,0x22df9673,0x281a9f6a,0xe4b09ff4,0x6a3f9817,0xa6959889,
    0x7fb58a25,0xb31f8abb,0x3d908d58,0xf13a8dc6,0xfbff84df,0x37558441,0xb9da83a2,0x7570833c,
    0x533b85da,0x9f918544,0x111e82a7,0xddb48239,0xd7718b20,0x1bdb8bbe,0x95548c5d,0x59fe8cc3,
    0x80de9e6f,0x4c749ef1,0xc2fb9912,0x0e51998c,0x04949095,0xc83e900b,0x46b197e8,0x8a1b9776,
    0x2f80b4f1,0xe32ab46f,0x6da5b38c,0xa10fb312,0xabcaba0b,0x6760ba95,0xe9efbd76,0x2545bde8,
    0xfc65af44,0x30cfafda,0xbe40a839,0x72eaa8a7,0x782fa1be,0xb485a120,0x3a0aa6c3,0xf6a0a65d,
    0xaa4de78c,0x66e7e712,0xe868e0f1,0x24c2e06f,0x2e07e976,0xe2ade9e8,0x6c22ee0b,0xa088ee95,
    0x79a8fc39,0xb502fca7,0x3b8dfb44,0xf727fbda,0xfde2f2c3,0x3148f25d,0xbfc7f5be,0x736df520,
    0xd6f6d6a7,0x1a5cd639,0x94d3d1da,0x5879d144,0x52bcd85d,0x9e16d8c3,0x1099df20,0xdc33dfbe,
    0x0513cd12,0xc9b9cd8c,0x4736ca6f,0x8b9ccaf1,0x8159c3e8,0x4df3c376,0xc37cc495,0x0fd6c40b,
    0x7aa64737,0xb60c47a9,0x3883404a,0xf42940d4,0xfeec49cd,0x32464953,0xbcc94eb0,0x70634e2e,
    0xa9435c82,0x65e95c1c,0xeb665bff,0x27cc5b61,0x2d095278,0xe1a352e6,0x6f2c5505,0xa386559b,
    0x061d761c,0xcab77682,0x44387161,0x889271ff,0x825778e6,0x4efd7878,0xc0727f9b,0x0cd87f05,
    0xd5f86da9,0x19526d37,0x97dd6ad4,0x5b776a4a,0x51b26353,0x9d1863cd,0x1397642e,0xdf3d64b0,
    0x83d02561,0x4f7a25ff,0xc1f5221c,0x0d5f2282,0x079a2b9b,0xcb302b05,0x45bf2ce6,0x89152c78,
    0x50353ed4,0x9c9f3e4a,0x121039a9,0xdeba3937,0xd47f302e,0x18d530b0,0x965a3753,0x5af037cd,
    0xff6b144a,0x33c114d4,0xbd4e1337,0x71e413a9,0x7b211ab0,0xb78b1a2e,0x39041dcd,0xf5ae1d53,
    0x2c8e0fff,0xe0240f61,0x6eab0882,0xa201081c,0xa8c40105,0x646e019b,0xeae10678,0x264b06e6,
  },
};

TN_API uint32_t tn_crc32(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    const uint32_t(*t)[256] = tn__deflate_crc_tab;
    uint32_t c = ~crc;
    while (n >= 8) {
        uint32_t a = tn__deflate_ld32(p) ^ c, b = tn__deflate_ld32(p + 4);
        c = t[7][a & 0xff] ^ t[6][(a >> 8) & 0xff] ^ t[5][(a >> 16) & 0xff] ^ t[4][a >> 24] ^
            t[3][b & 0xff] ^ t[2][(b >> 8) & 0xff] ^ t[1][(b >> 16) & 0xff] ^ t[0][b >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xff];
    return ~c;
}

/* Adler-32 with the modulo deferred: 5552 bytes is the most that cannot overflow 32 bits. */
TN_API uint32_t tn_adler32(uint32_t adler, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    uint32_t a = adler & 0xffff, b = adler >> 16;
#if TN__HAVE_SSE2
    /* 16 bytes a step: a gains the byte sum (psadbw); b gains 16 * a-before-the-step (summed
       in ps) plus the bytes weighted 16..1 (pmaddwd). At most 5552 bytes between reductions. */
    while (n >= 16) {
        const __m128i zero = _mm_setzero_si128();
        const __m128i w_first = _mm_set_epi16(9, 10, 11, 12, 13, 14, 15, 16);
        const __m128i w_last = _mm_set_epi16(1, 2, 3, 4, 5, 6, 7, 8);
        __m128i vs1 = zero, vs2 = zero, vps = zero;
        size_t steps = n / 16 > 347 ? 347 : n / 16;
        uint32_t t[4];
        uint64_t bb = b + (uint64_t)a * (steps * 16);
        n -= steps * 16;
        while (steps--) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            vps = _mm_add_epi32(vps, vs1);
            vs1 = _mm_add_epi32(vs1, _mm_sad_epu8(v, zero));
            vs2 = _mm_add_epi32(vs2, _mm_madd_epi16(_mm_unpacklo_epi8(v, zero), w_first));
            vs2 = _mm_add_epi32(vs2, _mm_madd_epi16(_mm_unpackhi_epi8(v, zero), w_last));
            p += 16;
        }
        _mm_storeu_si128((__m128i *)(void *)t, vps);
        bb += 16 * ((uint64_t)t[0] + t[1] + t[2] + t[3]);
        _mm_storeu_si128((__m128i *)(void *)t, vs2);
        bb += (uint64_t)t[0] + t[1] + t[2] + t[3];
        _mm_storeu_si128((__m128i *)(void *)t, vs1);
        a = (uint32_t)(((uint64_t)a + t[0] + t[1] + t[2] + t[3]) % 65521u);
        b = (uint32_t)(bb % 65521u);
    }
#endif
    while (n) {
        size_t k = n < 5552 ? n : 5552;
        n -= k;
        while (k >= 8) {
            a += p[0]; b += a; a += p[1]; b += a; a += p[2]; b += a; a += p[3]; b += a;
            a += p[4]; b += a; a += p[5]; b += a; a += p[6]; b += a; a += p[7]; b += a;
            p += 8;
            k -= 8;
        }
        while (k--) {
            a += *p++;
            b += a;
        }
        a %= 65521u;
        b %= 65521u;
    }
    return (b << 16) | a;
}

/* ---- the DEFLATE alphabet (RFC 1951 3.2.5) ---- */
static const uint16_t tn__deflate_len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                                  31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t tn__deflate_len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                  2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t tn__deflate_dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                                   33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                                   1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t tn__deflate_dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                   6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
/* the order code length code lengths are sent in (3.2.7) */
static const uint8_t tn__deflate_clen_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* ===================================== inflate ===================================== */

/* Decode tables: a primary table indexed by the next LBITS (DBITS) input bits, with
   subtables for longer codes. An entry is one 32-bit word:
     bits 0-7   bits the symbol takes: code length + extra bits (for a subtable pointer: the
                primary bits), so one shift drops a length or distance with its extra bits
     bits 8-11  code length in bits (where the extra bits start), or the subtable's index bits
     bits 12-15 flags: literal, end of block, subtable pointer, invalid
     bits 16-31 literal byte, length or distance base, subtable offset, or precode symbol
   Sizes: a subtable of s index bits needs at least s+1 codes of a complete code, so 288
   codes need at most 2^10 + 48 * 2^5 entries and 30 codes at most 2^8 + 4 * 2^7. */
#define TN__INF_LBITS 10
#define TN__INF_DBITS 8
#define TN__INF_LSIZE 2560
#define TN__INF_DSIZE 768
#define TN__INF_LIT 0x1000u
#define TN__INF_EOB 0x2000u
#define TN__INF_SUB 0x4000u
#define TN__INF_BAD 0x8000u
#define TN__INF_CL(e) (((e) >> 8) & 15u)          /* code length of an entry */
#define TN__INF_XB(e) (((e) & 0xffu) - TN__INF_CL(e)) /* its extra bits */
/* Output room the fast decode loop needs: three literals, the longest match and the 32 bytes a
   short match copy may write past its end. */
#define TN__INF_FAST_ROOM (3 + 258 + 32)

enum {
    TN__INF_HEAD, TN__INF_GZ_FIXED, TN__INF_GZ_XLEN, TN__INF_GZ_EXTRA, TN__INF_GZ_NAME, TN__INF_GZ_COMMENT,
    TN__INF_GZ_HCRC, TN__INF_BLOCK, TN__INF_STORED_LEN, TN__INF_STORED, TN__INF_TABLE, TN__INF_PRECODE,
    TN__INF_LENS, TN__INF_DECODE, TN__INF_LEN_EXTRA, TN__INF_DIST, TN__INF_DIST_EXTRA, TN__INF_COPY,
    TN__INF_TRAILER, TN__INF_END, TN__INF_ERROR
};

struct tn_inflater {
    uint64_t bitbuf;          /* input bits, low bits first; bits above bitcnt are 0 or the next input */
    uint64_t total_out;       /* decoded bytes of this stream */
    uint64_t max_out;         /* cap on total_out */
    unsigned char *win;       /* history: the last whave (<= wsize) output bytes, ring ending at wnext */
    uint32_t wsize, whave, wnext;
    uint32_t check;           /* running Adler-32 (zlib) or CRC-32 (gzip) of the output */
    uint32_t hcrc;            /* CRC-32 of the gzip header so far */
    uint32_t len, dist;       /* stored bytes left; match length and distance */
    unsigned bitcnt;
    unsigned extra;           /* extra bits still to read for len or dist */
    unsigned gzflags, gzcount;
    unsigned hlit, hdist, hclen, nlens;
    int mode, format, cfg_format, wbits, last, fixed_ready, err;
    const char *msg;
    void *mem;                /* allocation to free (tn_inflater_new), else NULL */
    tn_allocator alloc;
    unsigned char lens[320];  /* code lengths of the current dynamic block */
    uint32_t pre[128];        /* code length code, 7 bits direct */
    uint32_t lt[TN__INF_LSIZE];
    uint32_t dt[TN__INF_DSIZE];
};

/* The table entry for a symbol, with its extra bits in bits 0-7 (the code length is added).
   kind: 0 literal/length, 1 distance, 2 code length code. */
TN__PRIVATE uint32_t tn__inf_sym_entry(int kind, unsigned sym) {
    if (kind == 2) return (uint32_t)sym << 16;
    if (kind == 1) {
        if (sym >= 30) return TN__INF_BAD;
        return (uint32_t)tn__deflate_dist_base[sym] << 16 | (uint32_t)tn__deflate_dist_extra[sym];
    }
    if (sym < 256) return TN__INF_LIT | (uint32_t)sym << 16;
    if (sym == 256) return TN__INF_EOB;
    if (sym >= 286) return TN__INF_BAD;
    return (uint32_t)tn__deflate_len_base[sym - 257] << 16 | (uint32_t)tn__deflate_len_extra[sym - 257];
}

/* The next canonical code after `code` (bit-reversed, len bits). */
TN__PRIVATE unsigned tn__inf_next(unsigned code, unsigned len) {
    unsigned bit = 1u << (len - 1);
    while (code & bit) bit >>= 1;
    return bit ? (code & (bit - 1)) | bit : 0;
}

/* Build a decode table for n code lengths. Returns NULL or what is wrong with the code. */
TN__PRIVATE const char *tn__inf_build(uint32_t *table, unsigned tb, unsigned cap, const unsigned char *lens,
                                      unsigned n, int kind) {
    unsigned count[16], offs[16], cnt[16], i, len, max = 0, size = 1u << tb, code = 0, idx = 0;
    unsigned next_free = size, cur = ~0u, sub = 0, sb = 0;
    uint16_t sorted[320];
    int left = 1;
    memset(count, 0, sizeof count);
    for (i = 0; i < n; i++) count[lens[i]]++;
    count[0] = 0;
    for (len = 1; len <= 15; len++) {
        left = 2 * left - (int)count[len];
        if (left < 0) return "over-subscribed Huffman code";
        if (count[len]) max = len;
    }
    /* incomplete: only no code at all or one one-bit code (zlib's rule) */
    if (left > 0 && (kind == 2 || max > 1)) return "incomplete Huffman code";
    offs[1] = 0;
    for (len = 1; len < 15; len++) offs[len + 1] = offs[len] + count[len];
    for (i = 0; i < n; i++)
        if (lens[i]) sorted[offs[lens[i]]++] = (uint16_t)i;
    if (left > 0)
        for (i = 0; i < size; i++) table[i] = TN__INF_BAD | 0x101u;
    for (len = 1; len <= max && len <= tb; len++) {
        for (i = 0; i < count[len]; i++) {
            uint32_t e = tn__inf_sym_entry(kind, sorted[idx++]) + (len | len << 8);
            unsigned j;
            for (j = code; j < size; j += 1u << len) table[j] = e;
            code = tn__inf_next(code, len);
        }
    }
    memcpy(cnt, count, sizeof cnt);
    for (len = tb + 1; len <= max; len++) {
        for (i = 0; i < count[len]; i++) {
            unsigned prefix = code & (size - 1), j;
            uint32_t e = tn__inf_sym_entry(kind, sorted[idx++]) + (len | len << 8);
            if (prefix != cur) {   /* a new subtable: as wide as the codes under this prefix need */
                int l;
                sb = len - tb;
                l = 1 << sb;
                for (;;) {
                    l -= (int)cnt[tb + sb];
                    if (l <= 0 || tb + sb >= max) break;
                    sb++;
                    l <<= 1;
                }
                if (next_free + (1u << sb) > cap) return "Huffman table overflow";
                cur = prefix;
                sub = next_free;
                next_free += 1u << sb;
                table[prefix] = TN__INF_SUB | (uint32_t)sub << 16 | sb << 8 | tb;
            }
            for (j = code >> tb; j < (1u << sb); j += 1u << (len - tb)) table[sub + j] = e;
            cnt[len]--;
            code = tn__inf_next(code, len);
        }
    }
    return NULL;
}

TN__PRIVATE void tn__inf_build_fixed(tn_inflater *st) {
    unsigned char l[288];
    memset(l, 8, 144);
    memset(l + 144, 9, 112);
    memset(l + 256, 7, 24);
    memset(l + 280, 8, 8);
    tn__inf_build(st->lt, TN__INF_LBITS, TN__INF_LSIZE, l, 288, 0);
    memset(l, 5, 32);
    tn__inf_build(st->dt, TN__INF_DBITS, TN__INF_DSIZE, l, 32, 1);
    st->fixed_ready = 1;
}

/* Copy a match of n bytes at distance dist to out, when it may start in the history window
   (before out_start, this call's first output byte). The caller checked the distance. */
TN__PRIVATE void tn__inf_copy_slow(const tn_inflater *st, const unsigned char *out_start, unsigned char *out,
                                   uint32_t dist, size_t n) {
    size_t here = (size_t)(out - out_start);
    const unsigned char *src;
    if (dist > here) {
        uint32_t back = dist - (uint32_t)here, mask = st->wsize - 1, pos = (st->wnext - back) & mask;
        while (n && back) {
            size_t k = n;
            if (k > back) k = back;
            if (k > st->wsize - pos) k = st->wsize - pos;
            memcpy(out, st->win + pos, k);
            out += k;
            n -= k;
            back -= (uint32_t)k;
            pos = (pos + (uint32_t)k) & mask;
        }
    }
    src = out - dist;
    while (n--) *out++ = *src++;
}

/* Append this call's output to the history ring. */
TN__PRIVATE void tn__inf_window(tn_inflater *st, const unsigned char *p, size_t n) {
    if (n >= st->wsize) {
        memcpy(st->win, p + n - st->wsize, st->wsize);
        st->wnext = 0;
        st->whave = st->wsize;
        return;
    }
    while (n) {
        size_t k = st->wsize - st->wnext;
        if (k > n) k = n;
        memcpy(st->win + st->wnext, p, k);
        p += k;
        n -= k;
        st->wnext = (st->wnext + (uint32_t)k) & (st->wsize - 1);
        st->whave = st->whave + (uint32_t)k > st->wsize ? st->wsize : st->whave + (uint32_t)k;
    }
}

TN__PRIVATE int tn__inf_resolve(const tn_inflate_opts *o, tn_inflate_opts *r) {
    tn_inflate_opts z;
    if (!o) {
        memset(&z, 0, sizeof z);
        o = &z;
    }
    *r = *o;
    if (r->format < TN_DEFLATE_ZLIB || r->format > TN_DEFLATE_AUTO) return TN_EINVAL;
    r->window_bits = TN__DEF(r->window_bits, 15);
    if (r->window_bits < 8 || r->window_bits > 15) return TN_EINVAL;
    r->max_output = TN__DEF(r->max_output, (uint64_t)TORNADO_MAX_INFLATE_SIZE);
    return TN_OK;
}

TN_API size_t tn_inflater_size(const tn_inflate_opts *opts) {
    tn_inflate_opts r;
    if (tn__inf_resolve(opts, &r) != TN_OK) return 0;
    return sizeof(tn_inflater) + 15 + ((size_t)1 << r.window_bits);
}

TN_API void tn_inflater_reset(tn_inflater *st) {
    st->bitbuf = 0;
    st->bitcnt = 0;
    st->total_out = 0;
    st->whave = st->wnext = 0;
    st->check = 0;
    st->hcrc = 0;
    st->len = st->dist = 0;
    st->extra = st->gzflags = st->gzcount = 0;
    st->mode = TN__INF_HEAD;
    st->format = st->cfg_format;
    st->last = 0;
    st->fixed_ready = 0;
    st->err = 0;
    st->msg = "";
}

TN__PRIVATE tn_inflater *tn__inf_setup(void *mem, const tn_inflate_opts *r) {
    unsigned char *p = (unsigned char *)mem;
    tn_inflater *st;
    p += (16 - ((uintptr_t)p & 15)) & 15;
    st = (tn_inflater *)(void *)p;
    memset(st, 0, sizeof *st);
    st->win = p + sizeof *st;
    st->wsize = 1u << r->window_bits;
    st->wbits = r->window_bits;
    st->max_out = r->max_output;
    st->cfg_format = r->format;
    tn_inflater_reset(st);
    return st;
}

TN_API int tn_inflater_init(void *mem, size_t size, const tn_inflate_opts *opts, tn_inflater **out) {
    tn_inflate_opts r;
    *out = NULL;
    if (!mem || tn__inf_resolve(opts, &r) != TN_OK || size < tn_inflater_size(&r)) return TN_EINVAL;
    *out = tn__inf_setup(mem, &r);
    return TN_OK;
}

TN_API int tn_inflater_new(const tn_inflate_opts *opts, tn_inflater **out) {
    tn_inflate_opts r;
    tn_allocator a;
    void *mem;
    *out = NULL;
    if (tn__inf_resolve(opts, &r) != TN_OK || tn__allocator_resolve(r.allocator, &a) != TN_OK) return TN_EINVAL;
    mem = tn__alloc(&a, tn_inflater_size(&r));
    if (!mem) return TN_ENOMEM;
    *out = tn__inf_setup(mem, &r);
    (*out)->mem = mem;
    (*out)->alloc = a;
    return TN_OK;
}

TN_API void tn_inflater_free(tn_inflater *st) {
    if (st && st->mem) {
        tn_allocator a = st->alloc;
        tn__free(&a, st->mem);
    }
}

TN_API uint64_t tn_inflater_total_out(const tn_inflater *st) { return st->total_out; }
TN_API const char *tn_inflater_error(const tn_inflater *st) { return st->msg; }

/* At the end of a call: checksum the output not yet summed (from ck), count it, keep the
   last window's worth as history. */
TN__PRIVATE void tn__inf_account(tn_inflater *st, const unsigned char *out_start, const unsigned char *ck,
                                 const unsigned char *out) {
    if (out > ck && st->format != TN_DEFLATE_RAW && st->mode != TN__INF_ERROR)
        st->check = st->format == TN_DEFLATE_GZIP ? tn_crc32(st->check, ck, (size_t)(out - ck))
                                                  : tn_adler32(st->check, ck, (size_t)(out - ck));
    if (out > out_start) {
        st->total_out += (uint64_t)(out - out_start);
        if (st->mode != TN__INF_END) tn__inf_window(st, out_start, (size_t)(out - out_start));
    }
}

TN_API int tn_inflate(tn_inflater *st, const void *in_, size_t in_len, size_t *consumed, void *out_,
                      size_t out_cap, size_t *produced) {
    const unsigned char *in = (const unsigned char *)in_, *in_start, *in_end;
    unsigned char *out = (unsigned char *)out_, *out_start = out, *out_end, *ck = out;
    uint64_t bitbuf = st->bitbuf;
    unsigned bitcnt = st->bitcnt;
    uint64_t room = st->max_out - st->total_out;
    const uint32_t wsize = st->wsize;
    int capped = 0, rc = TN_OK;
    uint32_t e;
    if (!in) in_len = 0;
    in_start = in;
    in_end = in + in_len;
    if (!out) out_cap = 0;
    out_end = out + out_cap;
    if (room < out_cap) {
        out_end = out + room;
        capped = 1;
    }

/* input bits: PULL takes one byte (or returns for more input), NEED makes n bits available */
#define TN__INF_PULL()                                                                  \
    do {                                                                                \
        if (in == in_end) goto need_input;                                              \
        bitbuf |= (uint64_t)*in++ << bitcnt;                                            \
        bitcnt += 8;                                                                    \
    } while (0)
#define TN__INF_NEED(n)                                                                 \
    do {                                                                                \
        while (bitcnt < (unsigned)(n)) TN__INF_PULL();                                  \
    } while (0)
#define TN__INF_BITS(n) ((uint32_t)bitbuf & ((1u << (n)) - 1u))
#define TN__INF_DROP(n)                                                                 \
    do {                                                                                \
        bitbuf >>= (n);                                                                 \
        bitcnt -= (unsigned)(n);                                                        \
    } while (0)
#define TN__INF_FAIL(code, text)                                                        \
    do {                                                                                \
        rc = (code);                                                                    \
        st->msg = (text);                                                               \
        goto fail;                                                                      \
    } while (0)
/* look up the entry for the next code of `table` (tb primary bits) in e */
#define TN__INF_LOOKUP(table, tb)                                                       \
    do {                                                                                \
        e = (table)[(uint32_t)bitbuf & ((1u << (tb)) - 1u)];                            \
        if (e & TN__INF_SUB)                                                            \
            e = (table)[(e >> 16) + ((uint32_t)(bitbuf >> (tb)) & ((1u << TN__INF_CL(e)) - 1u))]; \
    } while (0)

    for (;;) {
        switch (st->mode) {
        case TN__INF_HEAD:
            if (st->format == TN_DEFLATE_RAW) {
                st->mode = TN__INF_BLOCK;
                break;
            }
            if (st->format == TN_DEFLATE_AUTO) {
                TN__INF_NEED(8);
                st->format = TN__INF_BITS(8) == 0x1f ? TN_DEFLATE_GZIP : TN_DEFLATE_ZLIB;
            }
            if (st->format == TN_DEFLATE_GZIP) {
                st->mode = TN__INF_GZ_FIXED;
                break;
            }
            TN__INF_NEED(16);
            {
                uint32_t cmf = TN__INF_BITS(8), flg = (uint32_t)(bitbuf >> 8) & 0xff;
                if ((cmf * 256 + flg) % 31) TN__INF_FAIL(TN_EBAD_DEFLATE, "incorrect zlib header check");
                if ((cmf & 15) != 8) TN__INF_FAIL(TN_EBAD_DEFLATE, "unknown compression method");
                if ((cmf >> 4) > 7) TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid window size in zlib header");
                if ((int)(cmf >> 4) + 8 > st->wbits) TN__INF_FAIL(TN_EBAD_DEFLATE, "zlib window larger than allowed");
                if (flg & 0x20) TN__INF_FAIL(TN_EBAD_DEFLATE, "preset dictionary not supported");
            }
            TN__INF_DROP(16);
            st->check = 1;
            st->mode = TN__INF_BLOCK;
            break;
        case TN__INF_GZ_FIXED:   /* ID1 ID2 CM FLG MTIME(4) XFL OS */
            while (st->gzcount < 10) {
                unsigned char b;
                TN__INF_NEED(8);
                b = (unsigned char)bitbuf;
                if ((st->gzcount == 0 && b != 0x1f) || (st->gzcount == 1 && b != 0x8b))
                    TN__INF_FAIL(TN_EBAD_DEFLATE, "not a gzip header");
                if (st->gzcount == 2 && b != 8) TN__INF_FAIL(TN_EBAD_DEFLATE, "unknown compression method");
                if (st->gzcount == 3) {
                    if (b & 0xe0) TN__INF_FAIL(TN_EBAD_DEFLATE, "reserved gzip flag set");
                    st->gzflags = b;
                }
                TN__INF_DROP(8);
                st->hcrc = tn_crc32(st->hcrc, &b, 1);
                st->gzcount++;
            }
            st->gzcount = 0;
            st->len = 0;
            st->mode = TN__INF_GZ_XLEN;
            /* fall through */
        case TN__INF_GZ_XLEN:
            while ((st->gzflags & 4) && st->gzcount < 2) {
                unsigned char b;
                TN__INF_NEED(8);
                b = (unsigned char)bitbuf;
                TN__INF_DROP(8);
                st->hcrc = tn_crc32(st->hcrc, &b, 1);
                st->len |= (uint32_t)b << (8 * st->gzcount++);
            }
            st->mode = TN__INF_GZ_EXTRA;
            /* fall through */
        case TN__INF_GZ_EXTRA:
            while ((st->gzflags & 4) && st->len) {
                unsigned char b;
                TN__INF_NEED(8);
                b = (unsigned char)bitbuf;
                TN__INF_DROP(8);
                st->hcrc = tn_crc32(st->hcrc, &b, 1);
                st->len--;
            }
            st->mode = TN__INF_GZ_NAME;
            /* fall through */
        case TN__INF_GZ_NAME:
        case TN__INF_GZ_COMMENT:   /* zero-terminated strings, FNAME (8) then FCOMMENT (16) */
            while (st->gzflags & (st->mode == TN__INF_GZ_NAME ? 8u : 16u)) {
                unsigned char b;
                TN__INF_NEED(8);
                b = (unsigned char)bitbuf;
                TN__INF_DROP(8);
                st->hcrc = tn_crc32(st->hcrc, &b, 1);
                if (b == 0) break;
            }
            if (st->mode == TN__INF_GZ_NAME) {
                st->mode = TN__INF_GZ_COMMENT;
                break;
            }
            st->mode = TN__INF_GZ_HCRC;
            /* fall through */
        case TN__INF_GZ_HCRC:
            if (st->gzflags & 2) {
                TN__INF_NEED(16);
                if (TN__INF_BITS(16) != (st->hcrc & 0xffff))
                    TN__INF_FAIL(TN_EBAD_CHECKSUM, "gzip header CRC mismatch");
                TN__INF_DROP(16);
            }
            st->check = 0;
            st->mode = TN__INF_BLOCK;
            break;
        case TN__INF_BLOCK:
            if (st->last) {
                TN__INF_DROP(bitcnt & 7);
                st->gzcount = 0;
                st->mode = st->format == TN_DEFLATE_RAW ? TN__INF_END : TN__INF_TRAILER;
                break;
            }
            TN__INF_NEED(3);
            st->last = (int)TN__INF_BITS(1);
            switch ((bitbuf >> 1) & 3) {
            case 0: st->mode = TN__INF_STORED_LEN; break;
            case 1:
                if (!st->fixed_ready) tn__inf_build_fixed(st);
                st->mode = TN__INF_DECODE;
                break;
            case 2: st->mode = TN__INF_TABLE; break;
            default: TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid block type");
            }
            TN__INF_DROP(3);
            break;
        case TN__INF_STORED_LEN:
            TN__INF_DROP(bitcnt & 7);
            TN__INF_NEED(32);
            if (TN__INF_BITS(16) != (~(uint32_t)(bitbuf >> 16) & 0xffff))
                TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid stored block lengths");
            st->len = TN__INF_BITS(16);
            TN__INF_DROP(32);
            st->mode = TN__INF_STORED;
            /* fall through */
        case TN__INF_STORED:
            while (st->len) {
                size_t n;
                if (out == out_end) goto out_full;
                if (bitcnt >= 8) {   /* whole bytes still in the bit buffer come first */
                    *out++ = (unsigned char)bitbuf;
                    TN__INF_DROP(8);
                    st->len--;
                    continue;
                }
                if (in == in_end) goto need_input;
                bitbuf = 0;   /* read-ahead bits (of bytes now copied) are void */
                n = st->len;
                if (n > (size_t)(in_end - in)) n = (size_t)(in_end - in);
                if (n > (size_t)(out_end - out)) n = (size_t)(out_end - out);
                memcpy(out, in, n);
                in += n;
                out += n;
                st->len -= (uint32_t)n;
            }
            st->mode = TN__INF_BLOCK;
            break;
        case TN__INF_TABLE:
            TN__INF_NEED(14);
            st->hlit = TN__INF_BITS(5) + 257;
            st->hdist = ((uint32_t)(bitbuf >> 5) & 31) + 1;
            st->hclen = ((uint32_t)(bitbuf >> 10) & 15) + 4;
            TN__INF_DROP(14);
            if (st->hlit > 286 || st->hdist > 30) TN__INF_FAIL(TN_EBAD_DEFLATE, "too many length or distance codes");
            st->nlens = 0;
            st->mode = TN__INF_PRECODE;
            /* fall through */
        case TN__INF_PRECODE:
            while (st->nlens < st->hclen) {
                TN__INF_NEED(3);
                st->lens[tn__deflate_clen_order[st->nlens++]] = (unsigned char)TN__INF_BITS(3);
                TN__INF_DROP(3);
            }
            while (st->nlens < 19) st->lens[tn__deflate_clen_order[st->nlens++]] = 0;
            if ((st->msg = tn__inf_build(st->pre, 7, 128, st->lens, 19, 2)) != NULL)
                TN__INF_FAIL(TN_EBAD_DEFLATE, st->msg);
            st->msg = "";
            st->nlens = 0;
            st->mode = TN__INF_LENS;
            /* fall through */
        case TN__INF_LENS:
            while (st->nlens < st->hlit + st->hdist) {
                unsigned sym, clen, rep, xb;
                unsigned char v = 0;
                for (;;) {
                    e = st->pre[TN__INF_BITS(7)];
                    if (TN__INF_CL(e) <= bitcnt) break;
                    TN__INF_PULL();
                }
                sym = e >> 16;
                clen = TN__INF_CL(e);
                if (sym < 16) {
                    TN__INF_DROP(clen);
                    st->lens[st->nlens++] = (unsigned char)sym;
                    continue;
                }
                xb = sym == 16 ? 2 : sym == 17 ? 3 : 7;
                TN__INF_NEED(clen + xb);
                TN__INF_DROP(clen);
                rep = (sym == 18 ? 11 : 3) + TN__INF_BITS(xb);
                TN__INF_DROP(xb);
                if (sym == 16) {
                    if (st->nlens == 0) TN__INF_FAIL(TN_EBAD_DEFLATE, "repeat with no first length");
                    v = st->lens[st->nlens - 1];
                }
                if (st->nlens + rep > st->hlit + st->hdist) TN__INF_FAIL(TN_EBAD_DEFLATE, "too many length repeats");
                while (rep--) st->lens[st->nlens++] = v;
            }
            if (st->lens[256] == 0) TN__INF_FAIL(TN_EBAD_DEFLATE, "missing end-of-block code");
            if ((st->msg = tn__inf_build(st->lt, TN__INF_LBITS, TN__INF_LSIZE, st->lens, st->hlit, 0)) != NULL ||
                (st->msg = tn__inf_build(st->dt, TN__INF_DBITS, TN__INF_DSIZE, st->lens + st->hlit, st->hdist, 1)) != NULL)
                TN__INF_FAIL(TN_EBAD_DEFLATE, st->msg);
            st->msg = "";
            st->fixed_ready = 0;
            st->mode = TN__INF_DECODE;
            /* fall through */
        case TN__INF_DECODE:
            /* Fast loop, while at least 16 input bytes remain (two refills of up to 8) and room
               for three literals, the longest match and copy slack (TN__INF_FAST_ROOM). The
               entry e of the next symbol (primary table only) is looked up before the refill
               that follows, so the table load never waits for a refill. Bits: a refill leaves
               >= 56; three primary-table literals (<= 30) and the next lookup (10) fit, or two
               literals and a length with its extra bits (<= 20 through a subtable) and the
               distance lookup (8); the distance (<= 28) and the next lookup get a refill first
               when fewer than 38 are left. An entry's bits are dropped (with the extra bits
               of a length or distance) as soon as it is read; `saved` keeps the bits before. */
            if (in_end - in >= 16 && out_end - out >= TN__INF_FAST_ROOM) {
                const uint32_t *lt = st->lt, *dt = st->dt;
                uint64_t saved;
                bitbuf |= tn__deflate_ld64(in) << bitcnt;
                in += (63 - bitcnt) >> 3;
                bitcnt |= 56;
                e = lt[bitbuf & ((1u << TN__INF_LBITS) - 1u)];
                do {
                    uint32_t len, dist, nb, lit;
                    unsigned char *stop;
                    const unsigned char *src;
#define TN__INF_TAKE()                                                                  \
    do {                                                                                \
        saved = bitbuf;                                                                 \
        bitbuf >>= (e & 0xff);                                                          \
        bitcnt -= (e & 0xff);                                                           \
    } while (0)
#define TN__INF_REFILL()                                                                \
    do {                                                                                \
        bitbuf |= tn__deflate_ld64(in) << bitcnt;                                       \
        in += (63 - bitcnt) >> 3;                                                       \
        bitcnt |= 56;                                                                   \
    } while (0)
                    TN__INF_TAKE();
                    if (e & TN__INF_LIT) {
                        lit = e >> 16;
                        e = lt[bitbuf & ((1u << TN__INF_LBITS) - 1u)];
                        TN__INF_TAKE();
                        *out++ = (unsigned char)lit;
                        if (e & TN__INF_LIT) {
                            lit = e >> 16;
                            e = lt[bitbuf & ((1u << TN__INF_LBITS) - 1u)];
                            TN__INF_TAKE();
                            *out++ = (unsigned char)lit;
                            if (e & TN__INF_LIT) {
                                lit = e >> 16;
                                e = lt[bitbuf & ((1u << TN__INF_LBITS) - 1u)];
                                TN__INF_REFILL();
                                *out++ = (unsigned char)lit;
                                continue;
                            }
                        }
                    }
                    if (TN__UNLIKELY(e & (TN__INF_SUB | TN__INF_EOB | TN__INF_BAD))) {
                        if (e & TN__INF_SUB) {   /* a code longer than the primary bits */
                            bitcnt += TN__INF_LBITS;
                            e = lt[(e >> 16) + ((uint32_t)(saved >> TN__INF_LBITS) & ((1u << TN__INF_CL(e)) - 1u))];
                            bitbuf = saved;
                            TN__INF_TAKE();
                            if (e & TN__INF_LIT) {
                                lit = e >> 16;
                                e = lt[bitbuf & ((1u << TN__INF_LBITS) - 1u)];
                                TN__INF_REFILL();
                                *out++ = (unsigned char)lit;
                                continue;
                            }
                        }
                        if (e & (TN__INF_EOB | TN__INF_BAD)) {
                            if (e & TN__INF_BAD) {
                                bitbuf = saved;
                                bitcnt += e & 0xff;
                                TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid literal/length code");
                            }
                            st->mode = TN__INF_BLOCK;
                            break;
                        }
                    }
                    nb = e & 0xff;   /* code and extra bits: base + the bits above the code */
                    len = (e >> 16) + (((uint32_t)saved & ((1u << nb) - 1u)) >> TN__INF_CL(e));
                    e = dt[bitbuf & ((1u << TN__INF_DBITS) - 1u)];
                    if (TN__UNLIKELY(bitcnt < 38)) TN__INF_REFILL();
                    if (TN__UNLIKELY(e & (TN__INF_SUB | TN__INF_BAD))) {
                        if (e & TN__INF_SUB)
                            e = dt[(e >> 16) + ((uint32_t)(bitbuf >> TN__INF_DBITS) & ((1u << TN__INF_CL(e)) - 1u))];
                        if (e & TN__INF_BAD) TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid distance code");
                    }
                    TN__INF_TAKE();
                    nb = e & 0xff;
                    dist = (e >> 16) + (((uint32_t)saved & ((1u << nb) - 1u)) >> TN__INF_CL(e));
                    if (TN__UNLIKELY(dist > (size_t)(out - out_start) || dist > wsize)) {
                        size_t here = (size_t)(out - out_start);
                        if (dist > wsize || dist - here > st->whave)
                            TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid distance too far back");
                        tn__inf_copy_slow(st, out_start, out, dist, len);
                        out += len;
                        e = lt[bitbuf & ((1u << TN__INF_LBITS) - 1u)];
                        TN__INF_REFILL();
                        continue;
                    }
                    src = out - dist;
                    stop = out + len;
                    e = lt[bitbuf & ((1u << TN__INF_LBITS) - 1u)];   /* the next symbol, before the copy */
                    TN__INF_REFILL();
                    if (TN__LIKELY(dist >= 8)) {
                        /* 8-byte words (each reads bytes already written); 32 bytes at once
                           cover most matches, longer ones go on 16 at a time: up to 31 bytes
                           are written past stop */
                        tn__deflate_st64(out, tn__deflate_ld64(src));
                        tn__deflate_st64(out + 8, tn__deflate_ld64(src + 8));
                        tn__deflate_st64(out + 16, tn__deflate_ld64(src + 16));
                        tn__deflate_st64(out + 24, tn__deflate_ld64(src + 24));
                        if (TN__UNLIKELY(len > 32)) {
                            out += 32;
                            src += 32;
                            do {
                                tn__deflate_st64(out, tn__deflate_ld64(src));
                                tn__deflate_st64(out + 8, tn__deflate_ld64(src + 8));
                                out += 16;
                                src += 16;
                            } while (out < stop);
                        }
                    } else if (dist == 1) {
                        uint64_t v = (uint64_t)out[-1] * 0x0101010101010101u;
                        do {
                            tn__deflate_st64(out, v);
                            tn__deflate_st64(out + 8, v);
                            out += 16;
                        } while (out < stop);
                    } else {
                        /* a period of 2..7 bytes: 8 bytes one by one, then words from the
                           period's multiple that is >= 8 bytes back (the data repeats with it) */
                        unsigned k;
                        for (k = 0; k < 8; k++) out[k] = src[k];
                        src = out + 8 - (dist * ((8 + dist - 1) / dist));
                        out += 8;
                        while (out < stop) {
                            tn__deflate_st64(out, tn__deflate_ld64(src));
                            out += 8;
                            src += 8;
                        }
                    }
                    out = stop;
#undef TN__INF_TAKE
#undef TN__INF_REFILL
                } while (in_end - in >= 16 && out_end - out >= TN__INF_FAST_ROOM);
            }
            if (st->mode != TN__INF_DECODE) break;
            for (;;) {   /* one symbol, a bit at a time near the ends of the buffers */
                TN__INF_LOOKUP(st->lt, TN__INF_LBITS);
                if (TN__INF_CL(e) <= bitcnt) break;
                TN__INF_PULL();
            }
            if (e & TN__INF_LIT) {
                if (out == out_end) goto out_full;
                TN__INF_DROP(TN__INF_CL(e));
                *out++ = (unsigned char)(e >> 16);
                break;
            }
            if (e & TN__INF_BAD) TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid literal/length code");
            TN__INF_DROP(TN__INF_CL(e));
            if (e & TN__INF_EOB) {
                st->mode = TN__INF_BLOCK;
                break;
            }
            st->len = e >> 16;
            st->extra = TN__INF_XB(e);
            st->mode = TN__INF_LEN_EXTRA;
            /* fall through */
        case TN__INF_LEN_EXTRA:
            TN__INF_NEED(st->extra);
            st->len += TN__INF_BITS(st->extra);
            TN__INF_DROP(st->extra);
            st->mode = TN__INF_DIST;
            /* fall through */
        case TN__INF_DIST:
            for (;;) {
                TN__INF_LOOKUP(st->dt, TN__INF_DBITS);
                if (TN__INF_CL(e) <= bitcnt) break;
                TN__INF_PULL();
            }
            if (e & TN__INF_BAD) TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid distance code");
            TN__INF_DROP(TN__INF_CL(e));
            st->dist = e >> 16;
            st->extra = TN__INF_XB(e);
            st->mode = TN__INF_DIST_EXTRA;
            /* fall through */
        case TN__INF_DIST_EXTRA:
            TN__INF_NEED(st->extra);
            st->dist += TN__INF_BITS(st->extra);
            TN__INF_DROP(st->extra);
            if (st->dist > st->wsize || st->dist > st->whave + (uint64_t)(out - out_start))
                TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid distance too far back");
            st->mode = TN__INF_COPY;
            /* fall through */
        case TN__INF_COPY:
            while (st->len) {
                size_t n = st->len;
                if (out == out_end) goto out_full;
                if (n > (size_t)(out_end - out)) n = (size_t)(out_end - out);
                tn__inf_copy_slow(st, out_start, out, st->dist, n);
                out += n;
                st->len -= (uint32_t)n;
            }
            st->mode = TN__INF_DECODE;
            break;
        case TN__INF_TRAILER:
            if (out > ck) {
                st->check = st->format == TN_DEFLATE_GZIP ? tn_crc32(st->check, ck, (size_t)(out - ck))
                                                          : tn_adler32(st->check, ck, (size_t)(out - ck));
                ck = out;
            }
            if (st->format == TN_DEFLATE_ZLIB) {
                uint32_t v;
                TN__INF_NEED(32);
                v = (uint32_t)bitbuf;
                v = (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
                if (v != st->check) TN__INF_FAIL(TN_EBAD_CHECKSUM, "Adler-32 mismatch");
                TN__INF_DROP(32);
            } else {
                if (st->gzcount == 0) {
                    TN__INF_NEED(32);
                    if ((uint32_t)bitbuf != st->check) TN__INF_FAIL(TN_EBAD_CHECKSUM, "CRC-32 mismatch");
                    TN__INF_DROP(32);
                    st->gzcount = 1;
                }
                TN__INF_NEED(32);
                if ((uint32_t)bitbuf != (uint32_t)(st->total_out + (uint64_t)(out - out_start)))
                    TN__INF_FAIL(TN_EBAD_CHECKSUM, "gzip length mismatch");
                TN__INF_DROP(32);
            }
            st->mode = TN__INF_END;
            /* fall through */
        case TN__INF_END:
            rc = TN_INFLATE_END;
            goto done;
        default:   /* TN__INF_ERROR */
            rc = st->err;
            goto done;
        }
    }
out_full:
    if (capped && out == out_end) TN__INF_FAIL(TN_ELIMIT, "output limit reached");
    goto done;
need_input:   /* all input taken; the bits in hand are all needed by the next step: keep them */
    goto finish;
fail:
    st->mode = TN__INF_ERROR;
    st->err = rc;
done:
    tn__inf_account(st, out_start, ck, out);
    {   /* whole bytes read ahead into the bit buffer go back to the caller (only this call's) */
        size_t back = bitcnt >> 3;
        if (back > (size_t)(in - in_start)) back = (size_t)(in - in_start);
        in -= back;
        bitcnt -= 8 * (unsigned)back;
    }
    goto store;
finish:
    tn__inf_account(st, out_start, ck, out);
store:
    st->bitbuf = bitbuf & (bitcnt ? ~(uint64_t)0 >> (64 - bitcnt) : 0);
    st->bitcnt = bitcnt;
    *consumed = (size_t)(in - in_start);
    *produced = (size_t)(out - out_start);
    return rc;
#undef TN__INF_PULL
#undef TN__INF_NEED
#undef TN__INF_BITS
#undef TN__INF_DROP
#undef TN__INF_FAIL
#undef TN__INF_LOOKUP
}

TN_API int tn_inflate_once(const tn_inflate_opts *opts, const void *in, size_t in_len, void *out, size_t out_cap,
                           size_t *out_len) {
    tn_inflater *st;
    size_t used = 0, made = 0;
    int rc;
    *out_len = 0;
    rc = tn_inflater_new(opts, &st);
    if (rc != TN_OK) return rc;
    rc = tn_inflate(st, in, in_len, &used, out, out_cap, &made);
    *out_len = made;
    if (rc == TN_INFLATE_END) {
        rc = used == in_len ? TN_OK : TN_EBAD_DEFLATE;
    } else if (rc == TN_OK) {
        unsigned char one;
        size_t u2 = 0, m2 = 0;
        rc = TN_EINCOMPLETE;
        if (used < in_len) rc = TN_EBUFFER_FULL;
        else if (made == out_cap && tn_inflate(st, NULL, 0, &u2, &one, 1, &m2) >= 0 && m2 > 0) rc = TN_EBUFFER_FULL;
    }
    tn_inflater_free(st);
    return rc;
}

/* ===================================== deflate ===================================== */

#define TN__DEF_LOOKAHEAD (258 + 4)   /* the longest match plus the 4 hashed bytes */
#define TN__DEF_PEND 400              /* pending output: a block header or trailer, or a few symbols */

/* Matcher parameters per level: chain = candidates tried per position, nice = stop at this
   length, good = quarter the chain once a match this long is in hand (lazy levels), lazy =
   do not look for a better match after one this long (lazy levels) or insert the hashes of
   matches up to this long (greedy levels: longer ones are skipped over), half = shift the
   chain right by this when looking for a better match after one (lazy levels). */
typedef struct tn__def_level {
    uint16_t chain, nice, good, lazy;
    uint8_t greedy, half;
} tn__def_level;
static const tn__def_level tn__def_levels[10] = {
    {0, 0, 0, 0, 0, 0},        {4, 16, 0, 6, 1, 0},      {8, 24, 0, 8, 1, 0},      {24, 48, 0, 12, 1, 0},
    {16, 32, 6, 8, 0, 1},      {32, 64, 8, 16, 0, 1},    {64, 128, 8, 16, 0, 1},   {256, 192, 16, 64, 0, 0},
    {1024, 258, 32, 128, 0, 0}, {4096, 258, 64, 258, 0, 0},
};

enum { TN__DEF_PARSE, TN__DEF_SYMS, TN__DEF_STORED, TN__DEF_FINISHED };

struct tn_deflater {
    uint64_t bitbuf;          /* output bits not yet whole bytes (bitcnt < 8 between writes) */
    uint64_t win_abs;         /* stream offset of win[0] */
    uint64_t blk_abs;         /* stream offset of the current block's first byte */
    uint64_t total_in;
    unsigned char *win;       /* bsize bytes (+ 8 bytes of slack for word compares) */
    uint16_t *head;           /* hash -> latest position (0 = none) */
    uint16_t *prev;           /* position -> previous position with the same hash */
    uint16_t *syms;           /* the block: literal byte, or 0x8000 | (len - 3) then dist - 1 */
    uint32_t wsize, bsize, off, hash_shift, hash_mask;
    uint32_t pos, end;        /* next position to parse; end of the data in win */
    uint32_t block_bytes;     /* input bytes covered by syms */
    uint32_t nsyms, syms_cap;
    uint32_t soft_cap;        /* parsing pauses here for the block-split check (<= syms_cap) */
    uint32_t obs[10];         /* the block's symbol classes at the last check (tn__def_split) */
    uint32_t prev_len, prev_dist;
    uint32_t emit_i;          /* next syms unit to write (dynamic/fixed block) */
    uint32_t st_src, st_left, st_chunk;   /* stored block: next byte, bytes left, left in chunk */
    uint32_t check;
    unsigned bitcnt;
    unsigned pend_len, pend_pos;
    int have_prev;            /* lazy: the decision for pos - 1 is pending (prev_len/prev_dist) */
    int phase, final_block, flush_stage, flush_mode, header_done;
    int format, level, wbits;
    tn__def_level p;
    void *mem;
    tn_allocator alloc;
    uint32_t lfreq[286], dfreq[30];
    uint16_t lcode[288], dcode[32];
    unsigned char llen[288], dlen[32];
    unsigned char pend[TN__DEF_PEND];
};

/* Length code (minus 257) of each match length - 3, and distance code of each distance - 1
   (below 256 directly, else at 256 + (d >> 7)); generated from the tables of RFC 1951 3.2.5. */
static const unsigned char tn__def_lsym[256] = {
    0,1,2,3,4,5,6,7,8,8,9,9,10,10,11,11,12,12,12,12,13,13,13,13,14,14,14,14,15,15,15,15,
    16,16,16,16,16,16,16,16,17,17,17,17,17,17,17,17,18,18,18,18,18,18,18,18,19,19,19,19,19,19,19,19,
    20,20,20,20,20,20,20,20,20,20,20,20,20,20,20,20,21,21,21,21,21,21,21,21,21,21,21,21,21,21,21,21,
    22,22,22,22,22,22,22,22,22,22,22,22,22,22,22,22,23,23,23,23,23,23,23,23,23,23,23,23,23,23,23,23,
    24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,
    25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,
    26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,
    27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,28,
};
static const unsigned char tn__def_dsym[512] = {
    0,1,2,3,4,4,5,5,6,6,6,6,7,7,7,7,8,8,8,8,8,8,8,8,9,9,9,9,9,9,9,9,
    10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,
    14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,
    14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,
    15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,
    15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,
    0,14,16,17,18,18,19,19,20,20,20,20,21,21,21,21,22,22,22,22,22,22,22,22,23,23,23,23,23,23,23,23,
    24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,
    26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,
    27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,
    28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,
    28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,
    29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,
    29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,
};

TN__PRIVATE unsigned tn__def_dist_code(uint32_t d) { return d < 256 ? tn__def_dsym[d] : tn__def_dsym[256 + (d >> 7)]; }

/* Sizes of the parts for window bits w (see the memory table in deflate.h). */
TN__PRIVATE void tn__def_dims(int w, uint32_t *wsize, uint32_t *bsize, uint32_t *hash_bits, uint32_t *syms_cap) {
    uint32_t ws = 1u << w, slide = ws / 2 > 1024 ? ws / 2 : 1024;
    int hb = w - 1 < 9 ? 9 : w - 1 > 14 ? 14 : w - 1;
    *wsize = ws;
    *bsize = ws + slide + TN__DEF_LOOKAHEAD;
    *hash_bits = (uint32_t)hb;
    *syms_cap = 3 * ws / 8 > 1024 ? 3 * ws / 8 : 1024;
}

TN__PRIVATE int tn__def_resolve(const tn_deflate_opts *o, tn_deflate_opts *r) {
    tn_deflate_opts z;
    if (!o) {
        memset(&z, 0, sizeof z);
        o = &z;
    }
    *r = *o;
    if (r->format < TN_DEFLATE_ZLIB || r->format > TN_DEFLATE_GZIP) return TN_EINVAL;
    r->level = TN__DEF(r->level, 6);
    if (r->level < 1 || r->level > 9) return TN_EINVAL;
    r->window_bits = TN__DEF(r->window_bits, 15);
    if (r->window_bits < 8 || r->window_bits > 15) return TN_EINVAL;
    return TN_OK;
}

TN_API size_t tn_deflater_size(const tn_deflate_opts *opts) {
    tn_deflate_opts r;
    uint32_t ws, bs, hb, sc;
    if (tn__def_resolve(opts, &r) != TN_OK) return 0;
    tn__def_dims(r.window_bits, &ws, &bs, &hb, &sc);
    return sizeof(tn_deflater) + 15 + 2 * ((size_t)ws + ((size_t)1 << hb) + sc) + bs + 8;
}


/* Block splitting (tn__def_split): every TN__DEF_SPLIT_STEP symbol units parsing pauses to
   compare the recent symbols' mix with the block's; blocks of at least TN__DEF_SPLIT_MIN input
   bytes end when the distributions differ by more than TN__DEF_SPLIT_DIFF thousandths (L1). */
#define TN__DEF_SPLIT_STEP 512
#define TN__DEF_SPLIT_MIN 8192
#define TN__DEF_SPLIT_DIFF 500
TN__PRIVATE uint32_t tn__def_soft_cap(const tn_deflater *st) {
    uint32_t c = st->nsyms + TN__DEF_SPLIT_STEP;
    return c < st->syms_cap ? c : st->syms_cap;
}

TN_API void tn_deflater_reset(tn_deflater *st) {
    memset(st->head, 0, (st->hash_mask + 1) * sizeof *st->head);
    st->bitbuf = 0;
    st->bitcnt = 0;
    st->win_abs = st->blk_abs = st->total_in = 0;
    st->off = 0;
    st->pos = st->end = 0;
    st->block_bytes = st->nsyms = 0;
    st->prev_len = st->prev_dist = 0;
    st->have_prev = 0;
    st->emit_i = 0;
    st->st_src = st->st_left = st->st_chunk = 0;
    st->check = st->format == TN_DEFLATE_ZLIB ? 1 : 0;
    st->pend_len = st->pend_pos = 0;
    st->phase = TN__DEF_PARSE;
    st->final_block = st->flush_stage = st->flush_mode = st->header_done = 0;
    memset(st->lfreq, 0, sizeof st->lfreq);
    memset(st->dfreq, 0, sizeof st->dfreq);
    memset(st->obs, 0, sizeof st->obs);
    st->soft_cap = tn__def_soft_cap(st);
}

TN__PRIVATE tn_deflater *tn__def_setup(void *mem, const tn_deflate_opts *r) {
    unsigned char *p = (unsigned char *)mem;
    tn_deflater *st;
    uint32_t ws, bs, hb, sc;
    p += (16 - ((uintptr_t)p & 15)) & 15;
    st = (tn_deflater *)(void *)p;
    memset(st, 0, sizeof *st);
    tn__def_dims(r->window_bits, &ws, &bs, &hb, &sc);
    p += sizeof *st;
    st->head = (uint16_t *)(void *)p;
    p += 2 * ((size_t)1 << hb);
    st->prev = (uint16_t *)(void *)p;
    p += 2 * (size_t)ws;
    st->syms = (uint16_t *)(void *)p;
    p += 2 * (size_t)sc;
    st->win = p;
    memset(st->prev, 0, 2 * (size_t)ws);
    memset(st->win, 0, (size_t)bs + 8);   /* word compares may look past the data */
    st->wsize = ws;
    st->bsize = bs;
    st->hash_shift = 32 - hb;
    st->hash_mask = (1u << hb) - 1;
    st->syms_cap = sc;
    st->format = r->format;
    st->level = r->level;
    st->wbits = r->window_bits;
    st->p = tn__def_levels[r->level];
    tn_deflater_reset(st);
    return st;
}

TN_API int tn_deflater_init(void *mem, size_t size, const tn_deflate_opts *opts, tn_deflater **out) {
    tn_deflate_opts r;
    *out = NULL;
    if (!mem || tn__def_resolve(opts, &r) != TN_OK || size < tn_deflater_size(&r)) return TN_EINVAL;
    *out = tn__def_setup(mem, &r);
    return TN_OK;
}

TN_API int tn_deflater_new(const tn_deflate_opts *opts, tn_deflater **out) {
    tn_deflate_opts r;
    tn_allocator a;
    void *mem;
    *out = NULL;
    if (tn__def_resolve(opts, &r) != TN_OK || tn__allocator_resolve(r.allocator, &a) != TN_OK) return TN_EINVAL;
    mem = tn__alloc(&a, tn_deflater_size(&r));
    if (!mem) return TN_ENOMEM;
    *out = tn__def_setup(mem, &r);
    (*out)->mem = mem;
    (*out)->alloc = a;
    return TN_OK;
}

TN_API void tn_deflater_free(tn_deflater *st) {
    if (st && st->mem) {
        tn_allocator a = st->alloc;
        tn__free(&a, st->mem);
    }
}

TN_API size_t tn_deflate_bound(size_t len) { return len + (len >> 3) + (len >> 7) + 32; }

/* ---- bit output into the pending buffer (headers, trailers, block boundaries) ---- */
TN__PRIVATE void tn__def_put(tn_deflater *st, uint32_t bits, unsigned n) {
    st->bitbuf |= (uint64_t)bits << st->bitcnt;
    st->bitcnt += n;
    while (st->bitcnt >= 8) {
        st->pend[st->pend_len++] = (unsigned char)st->bitbuf;
        st->bitbuf >>= 8;
        st->bitcnt -= 8;
    }
}
TN__PRIVATE void tn__def_align(tn_deflater *st) {
    if (st->bitcnt) tn__def_put(st, 0, 8 - st->bitcnt);
}
TN__PRIVATE void tn__def_put_be32(tn_deflater *st, uint32_t v) {
    tn__def_put(st, v >> 24, 8);
    tn__def_put(st, (v >> 16) & 0xff, 8);
    tn__def_put(st, (v >> 8) & 0xff, 8);
    tn__def_put(st, v & 0xff, 8);
}
TN__PRIVATE void tn__def_put_le32(tn_deflater *st, uint32_t v) {
    tn__def_put(st, v & 0xffff, 16);
    tn__def_put(st, v >> 16, 16);
}

/* ---- Huffman code construction ---- */
TN__PRIVATE int tn__def_key_cmp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Code lengths (<= limit) for n symbols from their frequencies: Huffman's algorithm with two
   queues over the leaves sorted by weight; when the tree is too deep the weights are
   flattened and it is built again. Fewer than two used symbols get two one-bit codes. */
TN__PRIVATE void tn__def_huff(const uint32_t *freq, unsigned n, unsigned limit, unsigned char *lens) {
    uint32_t f[288], key[288], w[576];
    uint16_t parent[576];
    unsigned char depth[576];
    unsigned m, i;
    memcpy(f, freq, n * sizeof *f);
    for (;;) {
        unsigned li = 0, ni, nn, k, maxd = 0;
        m = 0;
        for (i = 0; i < n; i++) {
            lens[i] = 0;
            if (f[i]) key[m++] = (f[i] << 9) | i;   /* weights stay below 2^23 */
        }
        if (m <= 1) {
            unsigned a = m ? (key[0] & 511) : 0;
            lens[a] = 1;
            lens[a ? 0 : 1] = 1;
            return;
        }
        qsort(key, m, sizeof *key, tn__def_key_cmp);
        for (i = 0; i < m; i++) w[i] = key[i] >> 9;
        ni = nn = m;
        for (k = 0; k + 1 < m; k++) {
            unsigned a = (li < m && (ni >= nn || w[li] <= w[ni])) ? li++ : ni++;
            unsigned b = (li < m && (ni >= nn || w[li] <= w[ni])) ? li++ : ni++;
            w[nn] = w[a] + w[b];
            parent[a] = parent[b] = (uint16_t)nn;
            nn++;
        }
        depth[nn - 1] = 0;
        for (i = nn - 1; i-- > 0;) {
            depth[i] = (unsigned char)(depth[parent[i]] + 1);
            if (i < m && depth[i] > maxd) maxd = depth[i];
        }
        if (maxd <= limit) {
            for (i = 0; i < m; i++) lens[key[i] & 511] = depth[i];
            return;
        }
        for (i = 0; i < n; i++)
            if (f[i]) f[i] = (f[i] >> 1) | 1;
    }
}

/* Canonical codes, bit-reversed for LSB-first output. */
TN__PRIVATE void tn__def_codes(const unsigned char *lens, unsigned n, uint16_t *codes) {
    unsigned count[16], next[16], i, c = 0;
    memset(count, 0, sizeof count);
    for (i = 0; i < n; i++) count[lens[i]]++;
    count[0] = 0;
    next[0] = 0;
    for (i = 1; i < 16; i++) {
        c = (c + count[i - 1]) << 1;
        next[i] = c;
    }
    for (i = 0; i < n; i++)
        codes[i] = lens[i] ? (uint16_t)tn__deflate_rev(next[lens[i]]++, lens[i]) : 0;
}

TN__PRIVATE void tn__def_fixed_lens(unsigned char *llen, unsigned char *dlen) {
    memset(llen, 8, 144);
    memset(llen + 144, 9, 112);
    memset(llen + 256, 7, 24);
    memset(llen + 280, 8, 8);
    memset(dlen, 5, 32);
}

/* Bits of the block's symbols under the given code lengths. */
TN__PRIVATE uint64_t tn__def_data_bits(const tn_deflater *st, const unsigned char *llen, const unsigned char *dlen) {
    uint64_t bits = 0;
    unsigned i;
    for (i = 0; i < 286; i++) bits += (uint64_t)st->lfreq[i] * llen[i];
    for (i = 0; i < 29; i++) bits += (uint64_t)st->lfreq[257 + i] * tn__deflate_len_extra[i];
    for (i = 0; i < 30; i++) bits += (uint64_t)st->dfreq[i] * (dlen[i] + tn__deflate_dist_extra[i]);
    return bits;
}

/* Run-length code the code lengths (RFC 1951 3.2.7): sym[i] 0..18 with extra value xv[i]. */
TN__PRIVATE unsigned tn__def_rle(const unsigned char *all, unsigned total, unsigned char *sym, unsigned char *xv) {
    unsigned i = 0, n = 0;
    while (i < total) {
        unsigned v = all[i], run = 1;
        while (i + run < total && all[i + run] == v) run++;
        i += run;
        if (v == 0) {
            while (run >= 11) {
                unsigned r = run > 138 ? 138 : run;
                sym[n] = 18;
                xv[n++] = (unsigned char)(r - 11);
                run -= r;
            }
            if (run >= 3) {
                sym[n] = 17;
                xv[n++] = (unsigned char)(run - 3);
                run = 0;
            }
        } else {
            sym[n] = (unsigned char)v;
            xv[n++] = 0;
            run--;
            while (run >= 3) {
                unsigned r = run > 6 ? 6 : run;
                sym[n] = 16;
                xv[n++] = (unsigned char)(r - 3);
                run -= r;
            }
        }
        while (run--) {
            sym[n] = (unsigned char)v;
            xv[n++] = 0;
        }
    }
    return n;
}

/* Block splitting: the symbols since the last check fall in 10 classes (literals by their top
   3 bits, short and long matches); when their mix differs enough from the block's so far, a
   new block (with its own codes) pays. Returns 1 to end the block here (the data decides
   only where blocks end: the output stays valid DEFLATE either way). */
TN__PRIVATE int tn__def_split(tn_deflater *st) {
    uint32_t cur[10], i, j;
    uint64_t nold = 0, nnew = 0, delta = 0;
    for (i = 0; i < 8; i++) {
        uint32_t sum = 0;
        for (j = 0; j < 32; j++) sum += st->lfreq[i * 32 + j];
        cur[i] = sum;
    }
    cur[8] = cur[9] = 0;
    for (i = 257; i < 265; i++) cur[8] += st->lfreq[i];
    for (i = 265; i < 286; i++) cur[9] += st->lfreq[i];
    for (i = 0; i < 10; i++) {
        nold += st->obs[i];
        nnew += cur[i] - st->obs[i];
    }
    if (nold && nnew && st->block_bytes >= TN__DEF_SPLIT_MIN) {
        for (i = 0; i < 10; i++) {
            int64_t d = (int64_t)(cur[i] - st->obs[i]) * (int64_t)nold - (int64_t)st->obs[i] * (int64_t)nnew;
            delta += (uint64_t)(d < 0 ? -d : d);
        }
        /* the L1 distance of the two distributions, in thousandths */
        if (delta * 1000 > (uint64_t)TN__DEF_SPLIT_DIFF * nold * nnew) return 1;
    }
    memcpy(st->obs, cur, sizeof cur);
    return 0;
}

/* End the block: choose dynamic, fixed or stored, write its header into pend and switch to
   writing its symbols (or bytes). */
TN__PRIVATE void tn__def_start_block(tn_deflater *st, int final) {
    unsigned char all[316], rsym[316], rxv[316], plen[19], fl[288], fd[32];
    uint16_t pcode[19];
    uint32_t pfreq[19];
    unsigned hlit = 286, hdist = 30, hclen = 19, nr, i;
    uint64_t dyn, fix, sto = ~(uint64_t)0;
    st->lfreq[256]++;
    memset(st->llen + 286, 0, 2);   /* symbols 286/287 and distances 30/31 are never used */
    memset(st->dlen + 30, 0, 2);
    tn__def_huff(st->lfreq, 286, 15, st->llen);
    tn__def_huff(st->dfreq, 30, 15, st->dlen);
    while (hlit > 257 && st->llen[hlit - 1] == 0) hlit--;
    while (hdist > 1 && st->dlen[hdist - 1] == 0) hdist--;
    memcpy(all, st->llen, hlit);
    memcpy(all + hlit, st->dlen, hdist);
    nr = tn__def_rle(all, hlit + hdist, rsym, rxv);
    memset(pfreq, 0, sizeof pfreq);
    for (i = 0; i < nr; i++) pfreq[rsym[i]]++;
    tn__def_huff(pfreq, 19, 7, plen);
    tn__def_codes(plen, 19, pcode);
    while (hclen > 4 && plen[tn__deflate_clen_order[hclen - 1]] == 0) hclen--;
    dyn = 3 + 14 + 3 * (uint64_t)hclen;
    for (i = 0; i < nr; i++) dyn += plen[rsym[i]] + (rsym[i] == 16 ? 2 : rsym[i] == 17 ? 3 : rsym[i] == 18 ? 7 : 0);
    dyn += tn__def_data_bits(st, st->llen, st->dlen);
    tn__def_fixed_lens(fl, fd);
    fix = 3 + tn__def_data_bits(st, fl, fd);
    if (st->block_bytes && st->blk_abs >= st->win_abs)   /* the block's bytes are still in the window */
        sto = (uint64_t)st->block_bytes * 8 + 40 * ((uint64_t)st->block_bytes / 65535 + 1) + 7;
    st->final_block = final;
    if (sto <= dyn && sto <= fix) {
        st->st_src = (uint32_t)(st->blk_abs - st->win_abs);
        st->st_left = st->block_bytes;
        st->st_chunk = 0;
        st->phase = TN__DEF_STORED;
        return;
    }
    if (fix <= dyn) {
        tn__def_put(st, (unsigned)final | 2u, 3);
        memcpy(st->llen, fl, 288);
        memcpy(st->dlen, fd, 32);
    } else {
        tn__def_put(st, (unsigned)final | 4u, 3);
        tn__def_put(st, hlit - 257, 5);
        tn__def_put(st, hdist - 1, 5);
        tn__def_put(st, hclen - 4, 4);
        for (i = 0; i < hclen; i++) tn__def_put(st, plen[tn__deflate_clen_order[i]], 3);
        for (i = 0; i < nr; i++) {
            tn__def_put(st, pcode[rsym[i]], plen[rsym[i]]);
            if (rsym[i] >= 16) tn__def_put(st, rxv[i], rsym[i] == 16 ? 2 : rsym[i] == 17 ? 3 : 7);
        }
    }
    tn__def_codes(st->llen, 288, st->lcode);
    tn__def_codes(st->dlen, 32, st->dcode);
    st->emit_i = 0;
    st->phase = TN__DEF_SYMS;
}

/* The block is out: start the next one. */
TN__PRIVATE void tn__def_end_block(tn_deflater *st) {
    st->blk_abs += st->block_bytes;
    st->block_bytes = 0;
    st->nsyms = 0;
    memset(st->obs, 0, sizeof st->obs);
    st->soft_cap = tn__def_soft_cap(st);
    memset(st->lfreq, 0, sizeof st->lfreq);
    memset(st->dfreq, 0, sizeof st->dfreq);
    st->phase = TN__DEF_PARSE;
}

/* Write the block's symbols (and end-of-block) to *outp, or to pend when the caller's space
   is short; stops when the space runs out. */
TN__PRIVATE void tn__def_emit(tn_deflater *st, unsigned char **outp, unsigned char *out_end) {
    unsigned char *p = *outp, *e = out_end;
    int to_pend = out_end - p < 64;
    uint64_t bb = st->bitbuf;
    unsigned bc = st->bitcnt;
    uint32_t i = st->emit_i, n = st->nsyms;
    const uint16_t *s = st->syms;
    if (to_pend) {
        p = st->pend + st->pend_len;
        e = st->pend + TN__DEF_PEND;
    }
    while (i <= n && e - p >= 16) {
        if (i == n) {   /* end of block */
            bb |= (uint64_t)st->lcode[256] << bc;
            bc += st->llen[256];
            i++;
        } else if (!(s[i] & 0x8000)) {
            bb |= (uint64_t)st->lcode[s[i]] << bc;
            bc += st->llen[s[i]];
            i++;
        } else {
            uint32_t l = s[i] & 0xff, d = s[i + 1];
            unsigned ls = tn__def_lsym[l], ds = tn__def_dist_code(d);
            bb |= (uint64_t)st->lcode[257 + ls] << bc;
            bc += st->llen[257 + ls];
            bb |= (uint64_t)(l + 3 - tn__deflate_len_base[ls]) << bc;
            bc += tn__deflate_len_extra[ls];
            bb |= (uint64_t)st->dcode[ds] << bc;
            bc += st->dlen[ds];
            bb |= (uint64_t)(d + 1 - tn__deflate_dist_base[ds]) << bc;
            bc += tn__deflate_dist_extra[ds];
            i += 2;
        }
        tn__deflate_st64(p, bb);
        p += bc >> 3;
        bb >>= bc & ~7u;
        bc &= 7;
    }
    st->bitbuf = bb;
    st->bitcnt = bc;
    st->emit_i = i;
    if (to_pend) st->pend_len = (unsigned)(p - st->pend);
    else *outp = p;
    if (i > n) tn__def_end_block(st);
}

/* ---- matching ---- */
#define TN__DEF_HASH(st, p) ((uint32_t)(tn__deflate_ld32(p) * 2654435761u) >> (st)->hash_shift)

TN__PRIVATE uint32_t tn__def_insert(tn_deflater *st, uint32_t pos) {
    uint32_t h = TN__DEF_HASH(st, st->win + pos), cand = st->head[h];
    st->prev[(pos + st->off) & (st->wsize - 1)] = (uint16_t)cand;
    st->head[h] = (uint16_t)pos;
    return cand;
}

/* Common prefix length of a and b, at most max. */
TN__PRIVATE unsigned tn__def_common(const unsigned char *a, const unsigned char *b, unsigned max) {
    unsigned n = 0;
    while (n + 8 <= max) {
        uint64_t x = tn__deflate_ld64(a + n) ^ tn__deflate_ld64(b + n);
        if (x) return n + (tn__deflate_ctz64(x) >> 3);
        n += 8;
    }
    while (n < max && a[n] == b[n]) n++;
    return n;
}

/* The longest match at pos longer than best, following the chain from cand; 0 if none. */
TN__PRIVATE unsigned tn__def_longest(const tn_deflater *st, uint32_t pos, uint32_t cand, unsigned best, unsigned max,
                                     unsigned chain, uint32_t *dist) {
    const unsigned char *win = st->win, *cur = win + pos;
    const uint16_t *prev = st->prev;
    uint32_t limit = pos > st->wsize ? pos - st->wsize : 0, first, tail, mask = st->wsize - 1, off = st->off;
    unsigned nice = st->p.nice < max ? st->p.nice : max, found = 0;
    if (best >= max) return 0;
    if (st->p.good && best >= st->p.good) chain >>= 2;
    first = tn__deflate_ld32(cur);
    tail = tn__deflate_ld32(cur + best - 3);
    while (cand > limit && chain--) {
        const unsigned char *m = win + cand;
        /* the 4 bytes ending at the length to beat, then the first 4: most candidates fail fast */
        if (tn__deflate_ld32(m + best - 3) == tail && tn__deflate_ld32(m) == first) {
            unsigned len = 4 + tn__def_common(m + 4, cur + 4, max - 4);
            if (len > best) {
                best = len;
                *dist = pos - cand;
                found = 1;
                if (len >= nice) break;
                tail = tn__deflate_ld32(cur + best - 3);
            }
        }
        cand = prev[(cand + off) & mask];
    }
    return found ? best : 0;
}

TN__PRIVATE void tn__def_lit(tn_deflater *st, unsigned c) {
    st->syms[st->nsyms++] = (uint16_t)c;
    st->lfreq[c]++;
    st->block_bytes++;
}
TN__PRIVATE void tn__def_match(tn_deflater *st, uint32_t len, uint32_t dist) {
    st->syms[st->nsyms++] = (uint16_t)(0x8000 | (len - 3));
    st->syms[st->nsyms++] = (uint16_t)(dist - 1);
    st->lfreq[257 + tn__def_lsym[len - 3]]++;
    st->dfreq[tn__def_dist_code(dist - 1)]++;
    st->block_bytes += len;
}

/* Greedy parse (levels 1-3) until the symbol buffer fills or the lookahead runs short (to the
   end of the data when flushing). */
TN__PRIVATE void tn__def_parse_greedy(tn_deflater *st, int flushing) {
    uint32_t pos = st->pos, end = st->end;
    while (st->nsyms + 2 <= st->soft_cap) {
        uint32_t look = end - pos, len = 0, dist = 0;
        if (look < TN__DEF_LOOKAHEAD && (!flushing || look == 0)) break;
        if (look >= 4) {
            uint32_t cand = tn__def_insert(st, pos);
            if (cand) len = tn__def_longest(st, pos, cand, 3, look < 258 ? look : 258, st->p.chain, &dist);
        }
        if (len >= 4) {
            tn__def_match(st, len, dist);
            if (len <= st->p.lazy) {
                uint32_t q, stop = pos + len;
                for (q = pos + 1; q < stop && end - q >= 4; q++) tn__def_insert(st, q);
            }
            pos += len;
        } else {
            tn__def_lit(st, st->win[pos]);
            pos++;
        }
    }
    st->pos = pos;
}

/* Index of the highest set bit (x != 0): the distance's size in bits, roughly its cost. */
TN__PRIVATE unsigned tn__def_bsr(uint32_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return 31u - (unsigned)__builtin_clz(x);
#else
    unsigned n = 0;
    while (x >>= 1) n++;
    return n;
#endif
}

/* Lazy parse (levels 4-9): the match at pos - 1 is taken unless pos has a better one: longer
   by enough to pay for a farther distance (4 units a byte of length, 1 a bit of distance; a
   one-byte longer match may be up to 4 times farther). Levels 4-6 search pos with half the
   chain. */
TN__PRIVATE void tn__def_parse_lazy(tn_deflater *st, int flushing) {
    uint32_t pos = st->pos, end = st->end;
    while (st->nsyms + 2 <= st->soft_cap) {
        uint32_t look = end - pos, len = 0, dist = 0;
        if (look < TN__DEF_LOOKAHEAD) {
            if (!flushing) break;
            if (look == 0) {
                if (st->have_prev) tn__def_lit(st, st->win[pos - 1]);   /* a 1-byte tail */
                st->have_prev = 0;
                break;
            }
        }
        if (look >= 4) {
            uint32_t cand = tn__def_insert(st, pos);
            if (cand && !(st->have_prev && st->prev_len >= st->p.lazy)) {
                unsigned chain = st->p.chain;
                if (st->have_prev && st->prev_len >= 4) chain >>= st->p.half;
                len = tn__def_longest(st, pos, cand, st->have_prev && st->prev_len > 3 ? st->prev_len : 3,
                                      look < 258 ? look : 258, chain, &dist);
            }
        }
        if (st->have_prev && st->prev_len >= 4 &&
            (len <= st->prev_len ||
             4 * (int)(len - st->prev_len) + (int)tn__def_bsr(st->prev_dist) - (int)tn__def_bsr(dist) <= 2)) {
            uint32_t q, stop = pos - 1 + st->prev_len;
            tn__def_match(st, st->prev_len, st->prev_dist);
            for (q = pos + 1; q < stop && end - q >= 4; q++) tn__def_insert(st, q);
            pos = stop;
            st->have_prev = 0;
            continue;
        }
        if (st->have_prev) tn__def_lit(st, st->win[pos - 1]);
        st->have_prev = 1;
        st->prev_len = len;
        st->prev_dist = dist;
        pos++;
    }
    st->pos = pos;
}

/* Positions a[0..n) move down by shift (< 2^16); those that fall off become 0 (none). n is a
   multiple of 8. */
TN__PRIVATE void tn__def_rebase(uint16_t *a, uint32_t n, uint32_t shift) {
    uint32_t i;
#if TN__HAVE_SSE2
    const __m128i s = _mm_set1_epi16((short)shift);
    for (i = 0; i < n; i += 8) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(a + i));
        _mm_storeu_si128((__m128i *)(void *)(a + i), _mm_subs_epu16(v, s));
    }
#else
    for (i = 0; i < n; i++) a[i] = (uint16_t)(a[i] > shift ? a[i] - shift : 0);
#endif
}

/* Drop the oldest bytes to make room: keep the window's worth before pos. */
TN__PRIVATE void tn__def_slide(tn_deflater *st) {
    uint32_t shift = st->pos - st->wsize, n = st->hash_mask + 1;
    memmove(st->win, st->win + shift, st->end - shift);
    st->pos -= shift;
    st->end -= shift;
    st->win_abs += shift;
    st->off = (st->off + shift) & (st->wsize - 1);
    tn__def_rebase(st->head, n, shift);
    tn__def_rebase(st->prev, st->wsize, shift);
}

TN__PRIVATE void tn__def_header(tn_deflater *st) {
    if (st->format == TN_DEFLATE_ZLIB) {
        unsigned cmf = (unsigned)(st->wbits - 8) << 4 | 8;
        unsigned flg = (unsigned)(st->level == 1 ? 0 : st->level < 6 ? 1 : st->level == 6 ? 2 : 3) << 6;
        flg |= 31 - (cmf * 256 + flg) % 31;
        tn__def_put(st, cmf, 8);
        tn__def_put(st, flg, 8);
    } else if (st->format == TN_DEFLATE_GZIP) {
        static const unsigned char gz[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
        unsigned i;
        for (i = 0; i < 10; i++) tn__def_put(st, gz[i], 8);
    }
    st->header_done = 1;
}

TN_API int tn_deflate(tn_deflater *st, const void *in_, size_t in_len, size_t *consumed, void *out_,
                      size_t out_cap, size_t *produced, int flush) {
    const unsigned char *in = (const unsigned char *)in_, *in_start, *in_end;
    unsigned char *out = (unsigned char *)out_, *out_start = out, *out_end;
    int rc = TN_OK;
    if (!in) in_len = 0;
    if (!out) out_cap = 0;
    in_start = in;
    in_end = in + in_len;
    out_end = out + out_cap;
    *consumed = *produced = 0;
    if (flush < TN_DEFLATE_NO_FLUSH || flush > TN_DEFLATE_FINISH) return TN_EINVAL;
    if (st->phase == TN__DEF_FINISHED)
        return flush == TN_DEFLATE_FINISH && in_len == 0 ? (int)TN_DEFLATE_DONE : (int)TN_EINVAL;
    if (!st->header_done) tn__def_header(st);
    for (;;) {
        uint32_t look;
        if (st->pend_pos < st->pend_len) {   /* pending bytes go first */
            size_t n = st->pend_len - st->pend_pos;
            if (n > (size_t)(out_end - out)) n = (size_t)(out_end - out);
            memcpy(out, st->pend + st->pend_pos, n);
            out += n;
            st->pend_pos += (unsigned)n;
            if (st->pend_pos < st->pend_len) break;   /* output full */
            st->pend_pos = st->pend_len = 0;
        }
        if (st->phase == TN__DEF_SYMS) {
            if (out == out_end) break;
            tn__def_emit(st, &out, out_end);
            continue;
        }
        if (st->phase == TN__DEF_STORED) {
            size_t n;
            if (st->st_chunk == 0) {
                if (st->st_left == 0) {
                    tn__def_end_block(st);
                    continue;
                }
                st->st_chunk = st->st_left > 65535 ? 65535 : st->st_left;
                tn__def_put(st, st->final_block && st->st_chunk == st->st_left ? 1u : 0u, 3);
                tn__def_align(st);
                tn__def_put(st, st->st_chunk, 16);
                tn__def_put(st, st->st_chunk ^ 0xffffu, 16);
                continue;
            }
            if (out == out_end) break;
            n = st->st_chunk;
            if (n > (size_t)(out_end - out)) n = (size_t)(out_end - out);
            memcpy(out, st->win + st->st_src, n);
            out += n;
            st->st_src += (uint32_t)n;
            st->st_chunk -= (uint32_t)n;
            st->st_left -= (uint32_t)n;
            continue;
        }
        if (st->phase == TN__DEF_FINISHED) {
            rc = TN_DEFLATE_DONE;
            break;
        }
        /* parsing */
        if (st->nsyms + 2 > st->soft_cap) {
            if (st->nsyms + 2 > st->syms_cap || tn__def_split(st)) {
                tn__def_start_block(st, 0);
                continue;
            }
            st->soft_cap = tn__def_soft_cap(st);
        }
        if (st->flush_stage == 0 && in < in_end && (st->end < st->bsize || st->end - st->pos < TN__DEF_LOOKAHEAD)) {
            size_t n;
            if (st->end == st->bsize) {
                if (st->nsyms && st->blk_abs < st->win_abs + (st->pos - st->wsize)) {
                    /* the slide would drop the block's first bytes: a block of mostly literals
                       (incompressible data) ends here, while it can still be stored */
                    uint32_t lits = 0, i;
                    for (i = 0; i < 256; i++) lits += st->lfreq[i];
                    if ((uint64_t)lits * 10 >= (uint64_t)st->block_bytes * 9) {
                        tn__def_start_block(st, 0);
                        continue;
                    }
                }
                tn__def_slide(st);
            }
            n = st->bsize - st->end;
            if (n > (size_t)(in_end - in)) n = (size_t)(in_end - in);
            memcpy(st->win + st->end, in, n);
            if (st->format == TN_DEFLATE_ZLIB) st->check = tn_adler32(st->check, in, n);
            else if (st->format == TN_DEFLATE_GZIP) st->check = tn_crc32(st->check, in, n);
            st->total_in += n;
            st->end += (uint32_t)n;
            in += n;
        }
        look = st->end - st->pos;
        {
            int flushing = flush != TN_DEFLATE_NO_FLUSH && in == in_end;
            if (look >= TN__DEF_LOOKAHEAD || (flushing && (look > 0 || st->have_prev))) {
                if (st->p.greedy) tn__def_parse_greedy(st, flushing);
                else tn__def_parse_lazy(st, flushing);
                continue;
            }
        }
        if (in < in_end && st->flush_stage == 0) continue;
        if (flush == TN_DEFLATE_NO_FLUSH && st->flush_stage == 0) break;
        if (st->flush_stage == 0) {   /* all input parsed: end the block */
            st->flush_mode = flush;
            st->flush_stage = 1;
            if (st->nsyms > 0 || flush == TN_DEFLATE_FINISH) tn__def_start_block(st, flush == TN_DEFLATE_FINISH);
            continue;
        }
        if (st->flush_stage == 1) {
            if (st->flush_mode == TN_DEFLATE_FINISH) {
                tn__def_align(st);
                if (st->format == TN_DEFLATE_ZLIB) tn__def_put_be32(st, st->check);
                else if (st->format == TN_DEFLATE_GZIP) {
                    tn__def_put_le32(st, st->check);
                    tn__def_put_le32(st, (uint32_t)st->total_in);
                }
            } else {   /* empty stored block: 000, align, 00 00 ff ff */
                tn__def_put(st, 0, 3);
                tn__def_align(st);
                tn__def_put(st, 0, 16);
                tn__def_put(st, 0xffff, 16);
            }
            st->flush_stage = 2;
            continue;
        }
        st->flush_stage = 0;   /* stage 2 and the pending bytes are out */
        if (st->flush_mode == TN_DEFLATE_FINISH) st->phase = TN__DEF_FINISHED;
        else if (flush != st->flush_mode) continue;   /* a sync ended under another request: go on */
        rc = TN_DEFLATE_DONE;
        break;
    }
    *consumed = (size_t)(in - in_start);
    *produced = (size_t)(out - out_start);
    return rc;
}

TN_API int tn_deflate_once(const tn_deflate_opts *opts, const void *in, size_t in_len, void *out, size_t out_cap,
                           size_t *out_len) {
    tn_deflater *st;
    size_t used = 0, made = 0;
    int rc;
    *out_len = 0;
    rc = tn_deflater_new(opts, &st);
    if (rc != TN_OK) return rc;
    rc = tn_deflate(st, in, in_len, &used, out, out_cap, &made, TN_DEFLATE_FINISH);
    *out_len = made;
    tn_deflater_free(st);
    return rc == TN_DEFLATE_DONE ? TN_OK : rc < 0 ? rc : TN_EBUFFER_FULL;
}

#endif /* TN_HAS_DEFLATE */
