/* ed25519.c - Ed25519 signatures (RFC 8032 5.1), see ed25519.h.
 *
 * Written from RFC 8032 (the curve -x^2 + y^2 = 1 + d x^2 y^2 over
 * GF(p), p = 2^255 - 19, its encodings and its addition and doubling
 * formulas in extended coordinates, 5.1.4) and HAC 14.42 (Barrett
 * reduction).
 *
 * Field elements: five limbs of 51 bits (radix 2^51) in uint64_t, the
 * products in unsigned __int128.  fe_mul, fe_sq and fe_sub leave limbs
 * below 2^52 (2^51 plus a small carry); fe_add does not carry, and its
 * sums (below 2^54) only go where that is allowed: into fe_mul and
 * fe_sq, whose column sums then stay below 2^115, and as the first
 * operand of fe_sub, which adds 2p before subtracting a carried value.
 * Only fe_tobytes gives the canonical value.
 *
 * Points: extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z.
 * The addition formula is complete for this curve (d is not a square,
 * a = -1 is), so it also adds a point to itself or to the neutral point,
 * with no branch.  A point to be added many times is kept "cached" as
 * (Y+X, Y-X, 2Z, 2dT).
 *
 * Scalars (mod L, the order of B): four 64-bit limbs.  A 512-bit value
 * (a SHA-512 digest, or k*a + r) is reduced by Barrett's method with
 * mu = floor(2^512 / L): at most two subtractions of L remain, done with
 * masks.
 *
 * Signing: [r]B and [a]B with signed radix-16 digits (-8..8) and a
 * table of [j 2^(64b)]B (a comb of four teeth): 60 doublings and 64
 * additions, each addition reading all 8 entries of its table through
 * masks.  Verifying: [S]B + [k](-A) in one pass (Straus), both scalars
 * in width-5 NAF, variable time.
 */
#include <bearssl.h>
#include <stdint.h>
#include <string.h>

#include "ed25519.h"

#ifndef __SIZEOF_INT128__
#error "ed25519.c needs unsigned __int128 (gcc or clang, 64-bit target)"
#endif
__extension__ typedef unsigned __int128 u128;

/* A field element f: the value f[0] + f[1] 2^51 + ... + f[4] 2^204. */
typedef uint64_t fe[5];

#define MASK51 ((UINT64_C(1) << 51) - 1)

struct ge {
    fe x, y, z, t; /* extended coordinates X, Y, Z, T */
};

struct ge_cached {
    fe ypx, ymx, z2, t2d; /* Y+X, Y-X, 2Z, 2dT */
};

struct ge_precomp {
    fe ypx, ymx, xy2d; /* y+x, y-x, 2dxy of an affine point (Z = 1) */
};

/* d = -121665/121666, 2d, sqrt(-1) = 2^((p-1)/4) (RFC 8032 5.1). */
static const fe fe_d = { 0x34dca135978a3, 0x1a8283b156ebd, 0x5e7a26001c029,
    0x739c663a03cbb, 0x52036cee2b6ff };
static const fe fe_d2 = { 0x69b9426b2f159, 0x35050762add7a, 0x3cf44c0038052,
    0x6738cc7407977, 0x2406d9dc56dff };
static const fe fe_sqrtm1 = { 0x61b274a0ea0b0, 0x0d5a5fc8f189d,
    0x7ef5e9cbd0c60, 0x78595a6804c9e, 0x2b8324804fc1d };

/* B: y = 4/5, x the even root (RFC 8032 5.1); T = xy, Z = 1. */
static const struct ge ge_base = {
    { 0x62d608f25d51a, 0x412a4b4f6592a, 0x75b7171a4b31d, 0x1ff60527118fe,
        0x216936d3cd6e5 },
    { 0x6666666666658, 0x4cccccccccccc, 0x1999999999999, 0x3333333333333,
        0x6666666666666 },
    { 1, 0, 0, 0, 0 },
    { 0x68ab3a5b7dda3, 0x00eea2a5eadbb, 0x2af8df483c27e, 0x332b375274732,
        0x67875f0fd78b7 },
};

/* L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
static const uint64_t sc_l[5] = { 0x5812631a5cf5d3edULL,
    0x14def9dea2f79cd6ULL, 0, 0x1000000000000000ULL, 0 };
/* floor(2^512 / L), for Barrett's reduction. */
static const uint64_t sc_mu[5] = { 0xed9ce5a30a2c131bULL,
    0x2106215d086329a7ULL, 0xffffffffffffffebULL, 0xffffffffffffffffULL,
    0x000000000000000fULL };

/* base_comb[b][j-1] = [j 2^(64b)]B, b = 0..3, j = 1..8, as y+x, y-x and
 * 2dxy mod p (canonical, in limbs): the points of the fixed-base
 * multiplication, so that it needs 60 doublings rather than 252.  To
 * check them, any big-integer calculator recomputes them with the affine
 * addition law x3 = (x1y2 + x2y1)/(1 + dx1x2y1y2), y3 = (y1y2 + x1x2)/
 * (1 - dx1x2y1y2); and a wrong entry changes the unit test's signatures. */
static const struct ge_precomp base_comb[4][8] = {
    {
        /* 1 2^0 B */
        { { 0x493c6f58c3b85, 0x0df7181c325f7, 0x0f50b0b3e4cb7,
            0x5329385a44c32, 0x07cf9d3a33d4b },
            { 0x03905d740913e, 0x0ba2817d673a2, 0x23e2827f4e67c,
              0x133d2e0c21a34, 0x44fd2f9298f81 },
            { 0x11205877aaa68, 0x479955893d579, 0x50d66309b67a0,
              0x2d42d0dbee5ee, 0x6f117b689f0c6 } },
        /* 2 2^0 B */
        { { 0x4e7fc933c71d7, 0x2cf41feb6b244, 0x7581c0a7d1a76,
            0x7172d534d32f0, 0x590c063fa87d2 },
            { 0x1a56042b4d5a8, 0x189cc159ed153, 0x5b8deaa3cae04,
              0x2aaf04f11b5d8, 0x6bb595a669c92 },
            { 0x2a8b3a59b7a5f, 0x3abb359ef087f, 0x4f5a8c4db05af,
              0x5b9a807d04205, 0x701af5b13ea50 } },
        /* 3 2^0 B */
        { { 0x5b0a84cee9730, 0x61d10c97155e4, 0x4059cc8096a10,
            0x47a608da8014f, 0x7a164e1b9a80f },
            { 0x11fe8a4fcd265, 0x7bcb8374faacc, 0x52f5af4ef4d4f,
              0x5314098f98d10, 0x2ab91587555bd },
            { 0x6933f0dd0d889, 0x44386bb4c4295, 0x3cb6d3162508c,
              0x26368b872a2c6, 0x5a2826af12b9b } },
        /* 4 2^0 B */
        { { 0x351b98efc099f, 0x68fbfa4a7050e, 0x42a49959d971b,
            0x393e51a469efd, 0x680e910321e58 },
            { 0x6050a056818bf, 0x62acc1f5532bf, 0x28141ccc9fa25,
              0x24d61f471e683, 0x27933f4c7445a },
            { 0x3fbe9c476ff09, 0x0af6b982e4b42, 0x0ad1251ba78e5,
              0x715aeedee7c88, 0x7f9d0cbf63553 } },
        /* 5 2^0 B */
        { { 0x2bc4408a5bb33, 0x078ebdda05442, 0x2ffb112354123,
            0x375ee8df5862d, 0x2945ccf146e20 },
            { 0x182c3a447d6ba, 0x22964e536eff2, 0x192821f540053,
              0x2f9f19e788e5c, 0x154a7e73eb1b5 },
            { 0x3dbf1812a8285, 0x0fa17ba3f9797, 0x6f69cb49c3820,
              0x34d5a0db3858d, 0x43aabe696b3bb } },
        /* 6 2^0 B */
        { { 0x4eeeb77157131, 0x1201915f10741, 0x1669cda6c9c56,
            0x45ec032db346d, 0x51e57bb6a2cc3 },
            { 0x006b67b7d8ca4, 0x084fa44e72933, 0x1154ee55d6f8a,
              0x4425d842e7390, 0x38b64c41ae417 },
            { 0x4326702ea4b71, 0x06834376030b5, 0x0ef0512f9c380,
              0x0f1a9f2512584, 0x10b8e91a9f0d6 } },
        /* 7 2^0 B */
        { { 0x25cd0944ea3bf, 0x75673b81a4d63, 0x150b925d1c0d4,
            0x13f38d9294114, 0x461bea69283c9 },
            { 0x72c9aaa3221b1, 0x267774474f74d, 0x064b0e9b28085,
              0x3f04ef53b27c9, 0x1d6edd5d2e531 },
            { 0x36dc801b8b3a2, 0x0e0a7d4935e30, 0x1deb7cecc0d7d,
              0x053a94e20dd2c, 0x7a9fbb1c6a0f9 } },
        /* 8 2^0 B */
        { { 0x7596604dd3e8f, 0x6fc510e058b36, 0x3670c8db2cc0d,
            0x297d899ce332f, 0x0915e76061bce },
            { 0x75dedf39234d9, 0x01c36ab1f3c54, 0x0f08fee58f5da,
              0x0e19613a0d637, 0x3a9024a1320e0 },
            { 0x1f5d9c9a2911a, 0x7117994fafcf8, 0x2d8a8cae28dc5,
              0x74ab1b2090c87, 0x26907c5c2ecc4 } },
    },
    {
        /* 1 2^64 B */
        { { 0x265e777d1f515, 0x0f1f54c1e39a5, 0x2f01b95522646,
            0x4fdd8db9dde6d, 0x654878cba97cc },
            { 0x38ec78df6b0fe, 0x13caebea36a22, 0x5ebc6e54e5f6a,
              0x32804903d0eb8, 0x2102fdba2b20d },
            { 0x6e405055ce6a1, 0x5024a35a532d3, 0x1f69054daf29d,
              0x15d1d0d7a8bd5, 0x0ad725db29ecb } },
        /* 2 2^64 B */
        { { 0x7bc0c9b056f85, 0x51cfebffaffd8, 0x44abbe94df549,
            0x7ecbbd7e33121, 0x4f675f5302399 },
            { 0x267b1834e2457, 0x6ae19c378bb88, 0x7457b5ed9d512,
              0x3280d783d05fb, 0x4aefcffb71a03 },
            { 0x536360415171e, 0x2313309077865, 0x251444334afbc,
              0x2b0c3853756e8, 0x0bccbb72a2a86 } },
        /* 3 2^64 B */
        { { 0x55e4c50fe1296, 0x05fdd13efc30d, 0x1c0c6c380e5ee,
            0x3e11de3fb62a8, 0x6678fd69108f3 },
            { 0x6962feab1a9c8, 0x6aca28fb9a30b, 0x56db7ca1b9f98,
              0x39f58497018dd, 0x4024f0ab59d6b },
            { 0x6fa31636863c2, 0x10ae5a67e42b0, 0x27abbf01fda31,
              0x380a7b9e64fbc, 0x2d42e2108ead4 } },
        /* 4 2^64 B */
        { { 0x17b0d0f537593, 0x16263c0c9842e, 0x4ab827e4539a4,
            0x6370ddb43d73a, 0x420bf3a79b423 },
            { 0x5131594dfd29b, 0x3a627e98d52fe, 0x1154041855661,
              0x19175d09f8384, 0x676b2608b8d2d },
            { 0x0ba651c5b2b47, 0x5862363701027, 0x0c4d6c219c6db,
              0x0f03dff8658de, 0x745d2ffa9c0cf } },
        /* 5 2^64 B */
        { { 0x6df5721d34e6a, 0x4f32f767a0c06, 0x1d5abeac76e20,
            0x41ce9e104e1e4, 0x06e15be54c1dc },
            { 0x25a1e2bc9c8bd, 0x104c8f3b037ea, 0x405576fa96c98,
              0x2e86a88e3876f, 0x1ae23ceb960cf },
            { 0x25d871932994a, 0x6b9d63b560b6e, 0x2df2814c8d472,
              0x0fbbee20aa4ed, 0x58ded861278ec } },
        /* 6 2^64 B */
        { { 0x35ba8b6c2c9a8, 0x1dea58b3185bf, 0x4b455cd23bbbe,
            0x5ec19c04883f8, 0x08ba696b531d5 },
            { 0x73793f266c55c, 0x0b988a9c93b02, 0x09b0ea32325db,
              0x37cae71c17c5e, 0x2ff39de85485f },
            { 0x53eeec3efc57a, 0x2fa9fe9022efd, 0x699c72c138154,
              0x72a751ebd1ff8, 0x120633b4947cf } },
        /* 7 2^64 B */
        { { 0x531474912100a, 0x5afcdf7c0d057, 0x7a9e71b788ded,
            0x5ef708f3b0c88, 0x07433be3cb393 },
            { 0x4987891610042, 0x79d9d7f5d0172, 0x3c293013b9ec4,
              0x0c2b85f39caca, 0x35d30a99b4d59 },
            { 0x144c05ce997f4, 0x4960b8a347fef, 0x1da11f15d74f7,
              0x54fac19c0fead, 0x2d873ede7af6d } },
        /* 8 2^64 B */
        { { 0x202e14e5df981, 0x2ea02bc3eb54c, 0x38875b2883564,
            0x1298c513ae9dd, 0x0543618a01600 },
            { 0x2316443373409, 0x5de95503b22af, 0x699201beae2df,
              0x3db5849ff737a, 0x2e773654707fa },
            { 0x2bdf4974c23c1, 0x4b3b9c8d261bd, 0x26ae8b2a9bc28,
              0x3068210165c51, 0x4b1443362d079 } },
    },
    {
        /* 1 2^128 B */
        { { 0x304bfacad8ea2, 0x502917d108b07, 0x043176ca6dd0f,
            0x5d5158f2c1d84, 0x2b5449e58eb3b },
            { 0x27562eb3dbe47, 0x291d7b4170be7, 0x5d1ca67dfa8e1,
              0x2a88061f298a2, 0x1304e9e71627d },
            { 0x014d26adc9cfe, 0x7f1691ba16f13, 0x5e71828f06eac,
              0x349ed07f0fffc, 0x4468de2d7c2dd } },
        /* 2 2^128 B */
        { { 0x2d8c6f86307ce, 0x6286ba1850973, 0x5e9dcb08444d4,
            0x1a96a543362b2, 0x5da6427e63247 },
            { 0x3355e9419469e, 0x1847bb8ea8a37, 0x1fe6588cf9b71,
              0x6b1c9d2db6b22, 0x6cce7c6ffb44b },
            { 0x4c688deac22ca, 0x6f775c3ff0352, 0x565603ee419bb,
              0x6544456c61c46, 0x58f29abfe79f2 } },
        /* 3 2^128 B */
        { { 0x264bf710ecdf6, 0x708c58527896b, 0x42ceae6c53394,
            0x4381b21e82b6a, 0x6af93724185b4 },
            { 0x6cfab8de73e68, 0x3e6efced4bd21, 0x0056609500dbe,
              0x71b7824ad85df, 0x577629c4a7f41 },
            { 0x0024509c6a888, 0x2696ab12e6644, 0x0cca27f4b80d8,
              0x0c7c1f11b119e, 0x701f25bb0caec } },
        /* 4 2^128 B */
        { { 0x0f6d97cbec113, 0x4ce97fb7c93a3, 0x139835a11281b,
            0x728907ada9156, 0x720a5bc050955 },
            { 0x0b0f8e4616ced, 0x1d3c4b50fb875, 0x2f29673dc0198,
              0x5f4b0f1830ffa, 0x2e0c92bfbdc40 },
            { 0x709439b805a35, 0x6ec48557f8187, 0x08a4d1ba13a2c,
              0x076348a0bf9ae, 0x0e9b9cbb144ef } },
        /* 5 2^128 B */
        { { 0x69bd55db1beee, 0x6e14e47f731bd, 0x1a35e47270eac,
            0x66f225478df8e, 0x366d44191cfd3 },
            { 0x2d48ffb5720ad, 0x57b7f21a1df77, 0x5550effba0645,
              0x5ec6a4098a931, 0x221104eb3f337 },
            { 0x41743f2bc8c14, 0x796b0ad8773c7, 0x29fee5cbb689b,
              0x122665c178734, 0x4167a4e6bc593 } },
        /* 6 2^128 B */
        { { 0x62665f8ce8fee, 0x29d101ac59857, 0x4d93bbba59ffc,
            0x17b7897373f17, 0x34b33370cb7ed },
            { 0x39d2876f62700, 0x001cecd1d6c87, 0x7f01a11747675,
              0x2350da5a18190, 0x7938bb7e22552 },
            { 0x591ee8681d6cc, 0x39db0b4ea79b8, 0x202220f380842,
              0x2f276ba42e0ac, 0x1176fc6e2dfe6 } },
        /* 7 2^128 B */
        { { 0x0e28949770eb8, 0x5559e88147b72, 0x35e1e6e63ef30,
            0x35b109aa7ff6f, 0x1f6a3e54f2690 },
            { 0x76cd05b9c619b, 0x69654b0901695, 0x7a53710b77f27,
              0x79a1ea7d28175, 0x08fc3a4c677d5 },
            { 0x4c199d30734ea, 0x6c622cb9acc14, 0x5660a55030216,
              0x068f1199f11fb, 0x4f2fad0116b90 } },
        /* 8 2^128 B */
        { { 0x4d91db73bb638, 0x55f82538112c5, 0x6d85a279815de,
            0x740b7b0cd9cf9, 0x3451995f2944e },
            { 0x6b24194ae4e54, 0x2230afded8897, 0x23412617d5071,
              0x3d5d30f35969b, 0x445484a4972ef },
            { 0x2fcd09fea7d7c, 0x296126b9ed22a, 0x4a171012a05b2,
              0x1db92c74d5523, 0x10b89ca604289 } },
    },
    {
        /* 1 2^192 B */
        { { 0x5cc9dc80c1ac0, 0x683671486d4cd, 0x76f5f1a5e8173,
            0x6d5d3f5f9df4a, 0x7da0b8f68d7e7 },
            { 0x02014385675a6, 0x6155fb53d1def, 0x37ea32e89927c,
              0x059a668f5a82e, 0x46115aba1d4dc },
            { 0x71953c3b5da76, 0x6642233d37a81, 0x2c9658076b1bd,
              0x5a581e63010ff, 0x5a5f887e83674 } },
        /* 2 2^192 B */
        { { 0x628d3a0a643b9, 0x01cd8640c93d2, 0x0b7b0cad70f2c,
            0x3864da98144be, 0x43e37ae2d5d1c },
            { 0x301cf70a13d11, 0x2a6a1ba1891ec, 0x2f291fb3f3ae0,
              0x21a7b814bea52, 0x3669b656e44d1 },
            { 0x63f06eda6e133, 0x233342758070f, 0x098e0459cc075,
              0x4df5ead6c7c1b, 0x6a21e6cd4fd5e } },
        /* 3 2^192 B */
        { { 0x129126699b2e3, 0x0ee11a2603de8, 0x60ac2f5c74c21,
            0x59b192a196808, 0x45371b07001e8 },
            { 0x6170a3046e65f, 0x5401a46a49e38, 0x20add5561c4a8,
              0x7abb4edde9e46, 0x586bf9f1a195f },
            { 0x3088d5ef8790b, 0x38c2126fcb4db, 0x685bae149e3c3,
              0x0bcd601a4e930, 0x0eafb03790e52 } },
        /* 4 2^192 B */
        { { 0x0805e0f75ae1d, 0x464cc59860a28, 0x248e5b7b00bef,
            0x5d99675ef8f75, 0x44ae3344c5435 },
            { 0x555c13748042f, 0x4d041754232c0, 0x521b430866907,
              0x3308e40fb9c39, 0x309acc675a02c },
            { 0x289b9bba543ee, 0x3ab592e28539e, 0x64d82abcdd83a,
              0x3c78ec172e327, 0x62d5221b7f946 } },
        /* 5 2^192 B */
        { { 0x5d4263af77a3c, 0x23fdd2289aeb0, 0x7dc64f77eb9ec,
            0x01bd28338402c, 0x14f29a5383922 },
            { 0x4299c18d0936d, 0x5914183418a49, 0x52a18c721aed5,
              0x2b151ba82976d, 0x5c0efde4bc754 },
            { 0x17edc25b2d7f5, 0x37336a6081bee, 0x7b5318887e5c3,
              0x49f6d491a5be1, 0x5e72365c7bee0 } },
        /* 6 2^192 B */
        { { 0x339062f08b33e, 0x4bbf3e657cfb2, 0x67af7f56e5967,
            0x4dbd67f9ed68f, 0x70b20555cb734 },
            { 0x3fc074571217f, 0x3a0d29b2b6aeb, 0x06478ccdde59d,
              0x55e4d051bddfa, 0x77f1104c47b4e },
            { 0x113c555112c4c, 0x7535103f9b7ca, 0x140ed1d9a2108,
              0x02522333bc2af, 0x0e34398f4a064 } },
        /* 7 2^192 B */
        { { 0x30b093e4b1928, 0x1ce7e7ec80312, 0x4e575bdf78f84,
            0x61f7a190bed39, 0x6f8aded6ca379 },
            { 0x522d93ecebde8, 0x024f045e0f6cf, 0x16db63426cfa1,
              0x1b93a1fd30fd8, 0x5e5405368a362 },
            { 0x0123dfdb7b29a, 0x4344356523c68, 0x79a527921ee5f,
              0x74bfccb3e817e, 0x780de72ec8d3d } },
        /* 8 2^192 B */
        { { 0x7eaf300f42772, 0x5455188354ce3, 0x4dcca4a3dcbac,
            0x3d314d0bfebcb, 0x1defc6ad32b58 },
            { 0x28545089ae7bc, 0x1e38fe9a0c15c, 0x12046e0e2377b,
              0x6721c560aa885, 0x0eb28bf671928 },
            { 0x3be1aef5195a7, 0x6f22f62bdb5eb, 0x39768b8523049,
              0x43394c8fbfdbd, 0x467d201bf8dd2 } },
    },
};

/* --- GF(2^255 - 19) --- */

static void
fe_copy(fe r, const fe a)
{
    memcpy(r, a, sizeof(fe));
}

static void
fe_set(fe r, uint64_t v)
{
    r[0] = v;
    r[1] = r[2] = r[3] = r[4] = 0;
}

/* Carry each limb's excess into the next; the top one's comes back
 * times 19 (2^255 = 19 mod p).  Limbs end below 2^51, r[0] below
 * 2^51 + 19 * 2^(max limb bits - 51). */
static void
fe_carry(fe r)
{
    uint64_t c;

    c = r[0] >> 51;
    r[0] &= MASK51;
    r[1] += c;
    c = r[1] >> 51;
    r[1] &= MASK51;
    r[2] += c;
    c = r[2] >> 51;
    r[2] &= MASK51;
    r[3] += c;
    c = r[3] >> 51;
    r[3] &= MASK51;
    r[4] += c;
    c = r[4] >> 51;
    r[4] &= MASK51;
    r[0] += 19 * c;
}

/* No carry: the sum (limbs below 2^53 + 2^52 for the operands used
 * here) only goes into fe_mul, fe_sq or as fe_sub's first operand, all
 * of which take limbs below 2^54. */
static void
fe_add(fe r, const fe a, const fe b)
{
    r[0] = a[0] + b[0];
    r[1] = a[1] + b[1];
    r[2] = a[2] + b[2];
    r[3] = a[3] + b[3];
    r[4] = a[4] + b[4];
}

/* a - b as a + 2p - b: b's limbs are below 2^52 - 38, so no limb goes
 * negative. */
static void
fe_sub(fe r, const fe a, const fe b)
{
    r[0] = a[0] + 0xfffffffffffdaULL - b[0];
    r[1] = a[1] + 0xffffffffffffeULL - b[1];
    r[2] = a[2] + 0xffffffffffffeULL - b[2];
    r[3] = a[3] + 0xffffffffffffeULL - b[3];
    r[4] = a[4] + 0xffffffffffffeULL - b[4];
    fe_carry(r);
}

static void
fe_neg(fe r, const fe a)
{
    static const fe zero = { 0, 0, 0, 0, 0 };

    fe_sub(r, zero, a);
}

/* The five 128-bit column sums of a product, carried into limbs.  t4
 * has no term times 19, so with factors below 2^54 it stays below
 * 2^111: 19 times its carry, plus a limb, fits in 64 bits. */
static inline void
fe_reduce(fe r, u128 t0, u128 t1, u128 t2, u128 t3, u128 t4)
{
    uint64_t c;

    t1 += (uint64_t)(t0 >> 51);
    t2 += (uint64_t)(t1 >> 51);
    t3 += (uint64_t)(t2 >> 51);
    t4 += (uint64_t)(t3 >> 51);
    c = ((uint64_t)t0 & MASK51) + (uint64_t)(t4 >> 51) * 19;
    r[0] = c & MASK51;
    r[1] = ((uint64_t)t1 & MASK51) + (c >> 51);
    r[2] = (uint64_t)t2 & MASK51;
    r[3] = (uint64_t)t3 & MASK51;
    r[4] = (uint64_t)t4 & MASK51;
}

static void
fe_mul(fe r, const fe a, const fe b)
{
    uint64_t b1 = 19 * b[1], b2 = 19 * b[2], b3 = 19 * b[3], b4 = 19 * b[4];
    u128 t0, t1, t2, t3, t4;

    /* Column i holds a[j] b[i-j], and a[j] b[i+5-j] * 19 (2^255 = 19). */
    t0 = (u128)a[0] * b[0] + (u128)a[1] * b4 + (u128)a[2] * b3
        + (u128)a[3] * b2 + (u128)a[4] * b1;
    t1 = (u128)a[0] * b[1] + (u128)a[1] * b[0] + (u128)a[2] * b4
        + (u128)a[3] * b3 + (u128)a[4] * b2;
    t2 = (u128)a[0] * b[2] + (u128)a[1] * b[1] + (u128)a[2] * b[0]
        + (u128)a[3] * b4 + (u128)a[4] * b3;
    t3 = (u128)a[0] * b[3] + (u128)a[1] * b[2] + (u128)a[2] * b[1]
        + (u128)a[3] * b[0] + (u128)a[4] * b4;
    t4 = (u128)a[0] * b[4] + (u128)a[1] * b[3] + (u128)a[2] * b[2]
        + (u128)a[3] * b[1] + (u128)a[4] * b[0];
    fe_reduce(r, t0, t1, t2, t3, t4);
}

/* fe_mul(r, a, a) with the symmetric products counted once, doubled. */
static void
fe_sq(fe r, const fe a)
{
    uint64_t d0 = 2 * a[0], d1 = 2 * a[1], d2 = 2 * a[2], d3 = 2 * a[3];
    uint64_t a3 = 19 * a[3], a4 = 19 * a[4];
    u128 t0, t1, t2, t3, t4;

    t0 = (u128)a[0] * a[0] + (u128)d1 * a4 + (u128)d2 * a3;
    t1 = (u128)d0 * a[1] + (u128)a3 * a[3] + (u128)d2 * a4;
    t2 = (u128)d0 * a[2] + (u128)a[1] * a[1] + (u128)d3 * a4;
    t3 = (u128)d0 * a[3] + (u128)d1 * a[2] + (u128)a4 * a[4];
    t4 = (u128)d0 * a[4] + (u128)d1 * a[3] + (u128)a[2] * a[2];
    fe_reduce(r, t0, t1, t2, t3, t4);
}

/* a^(2^n) */
static void
fe_sqn(fe r, const fe a, int n)
{
    fe_sq(r, a);
    while (--n > 0)
        fe_sq(r, r);
}

/* a^(2^250 - 1) into r, a^11 into z11: the common part of the two
 * exponentiations, building a^(2^k - 1) for k = 5, 10, 20, 50, 100, 200,
 * 250.  A fixed sequence, so constant time. */
static void
fe_pow2250(fe r, fe z11, const fe a)
{
    fe z2, z9, t, e5, e10, e20, e50, e100;

    fe_sq(z2, a);              /* a^2 */
    fe_sqn(t, z2, 2);          /* a^8 */
    fe_mul(z9, t, a);          /* a^9 */
    fe_mul(z11, z9, z2);       /* a^11 */
    fe_sq(t, z11);             /* a^22 */
    fe_mul(e5, t, z9);         /* a^31 = a^(2^5 - 1) */
    fe_sqn(t, e5, 5);
    fe_mul(e10, t, e5);        /* a^(2^10 - 1) */
    fe_sqn(t, e10, 10);
    fe_mul(e20, t, e10);       /* a^(2^20 - 1) */
    fe_sqn(t, e20, 20);
    fe_mul(t, t, e20);         /* a^(2^40 - 1) */
    fe_sqn(t, t, 10);
    fe_mul(e50, t, e10);       /* a^(2^50 - 1) */
    fe_sqn(t, e50, 50);
    fe_mul(e100, t, e50);      /* a^(2^100 - 1) */
    fe_sqn(t, e100, 100);
    fe_mul(t, t, e100);        /* a^(2^200 - 1) */
    fe_sqn(t, t, 50);
    fe_mul(r, t, e50);         /* a^(2^250 - 1) */
}

/* 1/a = a^(p-2), p - 2 = 2^5 (2^250 - 1) + 11. */
static void
fe_invert(fe r, const fe a)
{
    fe t, z11;

    fe_pow2250(t, z11, a);
    fe_sqn(t, t, 5);
    fe_mul(r, t, z11);
}

/* a^((p-5)/8), (p-5)/8 = 2^252 - 3 = 2^2 (2^250 - 1) + 1: the square
 * root candidate of RFC 8032 5.1.3. */
static void
fe_pow22523(fe r, const fe a)
{
    fe t, z11;

    fe_pow2250(t, z11, a);
    fe_sqn(t, t, 2);
    fe_mul(r, t, a);
}

/* The canonical (fully reduced) little-endian encoding of a. */
static void
fe_tobytes(unsigned char s[32], const fe a)
{
    uint64_t h[5], q, w[4];
    int i;

    fe_copy(h, a);
    fe_carry(h); /* now h < 2^255 + 38 < 2p */
    /* q = 1 if h >= p, i.e. if h + 19 reaches 2^255: follow the carry. */
    q = (h[0] + 19) >> 51;
    q = (h[1] + q) >> 51;
    q = (h[2] + q) >> 51;
    q = (h[3] + q) >> 51;
    q = (h[4] + q) >> 51;
    /* h - q p = h + 19 q - q 2^255: add, carry, drop bit 255. */
    h[0] += 19 * q;
    h[1] += h[0] >> 51;
    h[0] &= MASK51;
    h[2] += h[1] >> 51;
    h[1] &= MASK51;
    h[3] += h[2] >> 51;
    h[2] &= MASK51;
    h[4] += h[3] >> 51;
    h[3] &= MASK51;
    h[4] &= MASK51;
    w[0] = h[0] | h[1] << 51;
    w[1] = h[1] >> 13 | h[2] << 38;
    w[2] = h[2] >> 26 | h[3] << 25;
    w[3] = h[3] >> 39 | h[4] << 12;
    for (i = 0; i < 32; i++)
        s[i] = (unsigned char)(w[i / 8] >> (8 * (i % 8)));
}

/* The 255 low bits of s (bit 255, the sign of x, is the caller's). */
static void
fe_frombytes(fe r, const unsigned char s[32])
{
    uint64_t w[4] = { 0, 0, 0, 0 };
    int i;

    for (i = 0; i < 32; i++)
        w[i / 8] |= (uint64_t)s[i] << (8 * (i % 8));
    r[0] = w[0] & MASK51;
    r[1] = (w[0] >> 51 | w[1] << 13) & MASK51;
    r[2] = (w[1] >> 38 | w[2] << 26) & MASK51;
    r[3] = (w[2] >> 25 | w[3] << 39) & MASK51;
    r[4] = (w[3] >> 12) & MASK51;
}

/* The sign of x in RFC 8032's sense: the low bit of its canonical
 * value. */
static int
fe_isodd(const fe a)
{
    unsigned char s[32];

    fe_tobytes(s, a);
    return s[0] & 1;
}

/* a == b (as residues), variable time: only used when verifying. */
static int
fe_equal_vartime(const fe a, const fe b)
{
    unsigned char sa[32], sb[32];

    fe_tobytes(sa, a);
    fe_tobytes(sb, b);
    return memcmp(sa, sb, 32) == 0;
}

/* r = a where mask is all ones, r unchanged where it is 0. */
static void
fe_cmov(fe r, const fe a, uint64_t mask)
{
    int i;

    for (i = 0; i < 5; i++)
        r[i] ^= (r[i] ^ a[i]) & mask;
}

/* --- points --- */

/* p = O, the neutral point (0, 1). */
static void
ge_neutral(struct ge *p)
{
    fe_set(p->x, 0);
    fe_set(p->y, 1);
    fe_set(p->z, 1);
    fe_set(p->t, 0);
}

/* c = p, cached for repeated additions. */
static void
ge_cache(struct ge_cached *c, const struct ge *p)
{
    fe_add(c->ypx, p->y, p->x);
    fe_sub(c->ymx, p->y, p->x);
    fe_add(c->z2, p->z, p->z);
    fe_mul(c->t2d, p->t, fe_d2);
}

/* r = p + q (RFC 8032 5.1.4, with q's sums, 2Z and 2dT made ahead);
 * r may be p. */
static void
ge_add(struct ge *r, const struct ge *p, const struct ge_cached *q)
{
    fe a, b, c, d, e, f, g, h;

    fe_sub(a, p->y, p->x);
    fe_mul(a, a, q->ymx);
    fe_add(b, p->y, p->x);
    fe_mul(b, b, q->ypx);
    fe_mul(c, p->t, q->t2d);
    fe_mul(d, p->z, q->z2);
    fe_sub(e, b, a);
    fe_sub(f, d, c);
    fe_add(g, d, c);
    fe_add(h, b, a);
    fe_mul(r->x, e, f);
    fe_mul(r->y, g, h);
    fe_mul(r->t, e, h);
    fe_mul(r->z, f, g);
}

/* r = p - q: ge_add with -q = (Y-X, Y+X, 2Z, -2dT).  Verification
 * only (public data): the copy costs nothing that matters. */
static void
ge_sub(struct ge *r, const struct ge *p, const struct ge_cached *q)
{
    struct ge_cached n;

    fe_copy(n.ypx, q->ymx);
    fe_copy(n.ymx, q->ypx);
    fe_copy(n.z2, q->z2);
    fe_neg(n.t2d, q->t2d);
    ge_add(r, p, &n);
}

/* r = p + q for an affine q (Z = 1, so 2Z is 2 and a multiplication is
 * saved); r may be p. */
static void
ge_madd(struct ge *r, const struct ge *p, const struct ge_precomp *q)
{
    fe a, b, c, d, e, f, g, h;

    fe_sub(a, p->y, p->x);
    fe_mul(a, a, q->ymx);
    fe_add(b, p->y, p->x);
    fe_mul(b, b, q->ypx);
    fe_mul(c, p->t, q->xy2d);
    fe_add(d, p->z, p->z);
    fe_sub(e, b, a);
    fe_sub(f, d, c);
    fe_add(g, d, c);
    fe_add(h, b, a);
    fe_mul(r->x, e, f);
    fe_mul(r->y, g, h);
    fe_mul(r->t, e, h);
    fe_mul(r->z, f, g);
}

/* r = 2p (RFC 8032 5.1.4).  p's T is not read, and r's is computed only
 * when want_t (an addition follows): a multiplication saved in runs of
 * doublings.  r may be p. */
static void
ge_dbl(struct ge *r, const struct ge *p, int want_t)
{
    fe a, b, c, e, f, g, h;

    fe_sq(a, p->x);
    fe_sq(b, p->y);
    fe_sq(c, p->z);
    fe_add(c, c, c);
    fe_add(h, a, b);
    fe_add(e, p->x, p->y);
    fe_sq(e, e);
    fe_sub(e, h, e);
    fe_sub(g, a, b);
    fe_add(f, c, g);
    fe_mul(r->x, e, f);
    fe_mul(r->y, g, h);
    fe_mul(r->z, f, g);
    if (want_t)
        fe_mul(r->t, e, h);
}

/* The encoding of RFC 8032 5.1.2: y, with x's low bit in bit 255. */
static void
ge_tobytes(unsigned char s[32], const struct ge *p)
{
    fe zi, x, y;

    fe_invert(zi, p->z);
    fe_mul(x, p->x, zi);
    fe_mul(y, p->y, zi);
    fe_tobytes(s, y);
    s[31] |= (unsigned char)(fe_isodd(x) << 7);
}

/* The decoding of RFC 8032 5.1.3, variable time (public keys only).
 * 0, or -1 when s is no point's encoding: y >= p, u/v not a square, or
 * x = 0 with the sign bit set. */
static int
ge_frombytes_vartime(struct ge *p, const unsigned char s[32])
{
    unsigned char chk[32];
    fe u, v, v3, x, vx2, t;
    int sign = s[31] >> 7;

    fe_frombytes(p->y, s);
    fe_tobytes(chk, p->y);
    chk[31] |= (unsigned char)(sign << 7);
    if (memcmp(chk, s, 32) != 0)
        return -1; /* y >= p */

    /* x^2 = u/v, u = y^2 - 1, v = d y^2 + 1;
     * candidate x = u v^3 (u v^7)^((p-5)/8). */
    fe_sq(u, p->y);
    fe_mul(v, u, fe_d);
    fe_set(t, 1);
    fe_sub(u, u, t);
    fe_add(v, v, t);
    fe_sq(v3, v);
    fe_mul(v3, v3, v);         /* v^3 */
    fe_sq(x, v3);
    fe_mul(x, x, v);
    fe_mul(x, x, u);           /* u v^7 */
    fe_pow22523(x, x);
    fe_mul(x, x, v3);
    fe_mul(x, x, u);
    fe_sq(vx2, x);
    fe_mul(vx2, vx2, v);
    if (!fe_equal_vartime(vx2, u)) {
        fe_neg(t, u);
        if (!fe_equal_vartime(vx2, t))
            return -1; /* u/v is not a square */
        fe_mul(x, x, fe_sqrtm1);
    }
    fe_set(t, 0);
    if (sign && fe_equal_vartime(x, t))
        return -1; /* -0 is not an encoding */
    if (fe_isodd(x) != sign)
        fe_neg(x, x);
    fe_copy(p->x, x);
    fe_set(p->z, 1);
    fe_mul(p->t, x, p->y);
    return 0;
}

/* tab[i] = [2i+1]b for i = 0..7: the odd multiples a width-5 NAF
 * digit selects. */
static void
ge_table_odd(struct ge_cached tab[8], const struct ge *b)
{
    struct ge p, b2;
    struct ge_cached c;
    int i;

    ge_cache(&tab[0], b);
    ge_dbl(&b2, b, 1);
    ge_cache(&c, &b2);
    p = *b;
    for (i = 1; i < 8; i++) {
        ge_add(&p, &p, &c);
        ge_cache(&tab[i], &p);
    }
}

/* 1 if a == b, else 0, without a branch (a, b < 2^31). */
static uint64_t
eq_mask(uint32_t a, uint32_t b)
{
    uint32_t x = a ^ b;

    return 0 - (uint64_t)((x - 1) >> 31);
}

/* r = [s]B for a secret s < 2^255, in constant time.  s is written as
 * 64 signed digits e[i] in -8..8, s = sum e[i] 16^i, and cut in four
 * blocks of 16 digits, block b weighing 2^(64b): s B = sum over j of
 * 16^j (sum over b of e[16b+j] [2^(64b)]B).  From j = 15 down: four
 * doublings, then for each block the addition of e[16b+j] [2^(64b)]B,
 * read from base_comb[b] by masks over all 8 entries (the neutral point
 * when the digit is 0) and negated by masks when it is negative. */
static void
ge_scalarmult_base(struct ge *r, const uint64_t s[4])
{
    struct ge_precomp c;
    signed char e[64];
    uint64_t neg, mask, m;
    uint32_t u, abs;
    int i, j, b, carry;
    fe t;

    for (i = 0; i < 32; i++) {
        unsigned v = (unsigned)(s[i / 8] >> (8 * (i % 8))) & 0xff;
        e[2 * i] = (signed char)(v & 15);
        e[2 * i + 1] = (signed char)(v >> 4);
    }
    /* Digits 0..15 to -8..7, the carry going up; the top one ends in
     * 0..8 as s < 2^255. */
    for (i = 0; i < 63; i++) {
        carry = (e[i] + 8) >> 4;
        e[i] = (signed char)(e[i] - (carry << 4));
        e[i + 1] = (signed char)(e[i + 1] + carry);
    }

    ge_neutral(r);
    for (j = 15; j >= 0; j--) {
        if (j != 15) {
            ge_dbl(r, r, 0);
            ge_dbl(r, r, 0);
            ge_dbl(r, r, 0);
            ge_dbl(r, r, 1);
        }
        for (b = 0; b < 4; b++) {
            u = (uint32_t)(int32_t)e[16 * b + j];
            neg = u >> 31;
            mask = 0 - neg;
            abs = (u ^ (uint32_t)mask) + (uint32_t)neg;
            fe_set(c.ypx, 1);
            fe_set(c.ymx, 1);
            fe_set(c.xy2d, 0);
            for (i = 0; i < 8; i++) {
                m = eq_mask(abs, (uint32_t)i + 1);
                fe_cmov(c.ypx, base_comb[b][i].ypx, m);
                fe_cmov(c.ymx, base_comb[b][i].ymx, m);
                fe_cmov(c.xy2d, base_comb[b][i].xy2d, m);
            }
            /* -(x, y) = (-x, y): swap y+x and y-x, negate 2dxy. */
            fe_copy(t, c.ypx);
            fe_cmov(c.ypx, c.ymx, mask);
            fe_cmov(c.ymx, t, mask);
            fe_neg(t, c.xy2d);
            fe_cmov(c.xy2d, t, mask);
            ge_madd(r, r, &c);
        }
    }
    explicit_bzero(e, sizeof e);
    explicit_bzero(&c, sizeof c);
    explicit_bzero(t, sizeof t);
}

/* The width-5 NAF of s < 2^253: naf[i] in {0, +-1, +-3, ..., +-15},
 * s = sum naf[i] 2^i, any nonzero digit followed by 4 zeros.  Returns
 * the index of the top nonzero digit, or -1 for s = 0. */
static int
sc_naf5(signed char naf[256], const uint64_t s[4])
{
    uint64_t k[5] = { s[0], s[1], s[2], s[3], 0 };
    int i, j, d, top = -1;

    for (i = 0; i < 256; i++) {
        d = 0;
        if (k[0] & 1) {
            d = (int)(k[0] & 31);
            if (d > 15)
                d -= 32;
            /* k -= d; the low 5 bits of k are d's, so d > 0 does not
             * borrow, and d < 0 adds |d| with carry. */
            if (d > 0) {
                k[0] -= (uint64_t)d;
            } else {
                k[0] += (uint64_t)-d;
                if (k[0] < (uint64_t)-d)
                    for (j = 1; j < 5 && ++k[j] == 0; j++)
                        ;
            }
            top = i;
        }
        naf[i] = (signed char)d;
        for (j = 0; j < 4; j++)
            k[j] = k[j] >> 1 | k[j + 1] << 63;
        k[4] >>= 1;
    }
    return top;
}

/* r = [a]A + [b]B, variable time (public scalars only). */
static void
ge_double_scalarmult_vartime(struct ge *r, const uint64_t a[4],
    const struct ge *pa, const uint64_t b[4])
{
    struct ge_cached ta[8], tb[8];
    signed char na[256], nb[256];
    int i, ia, ib;

    ia = sc_naf5(na, a);
    ib = sc_naf5(nb, b);
    ge_table_odd(ta, pa);
    ge_table_odd(tb, &ge_base);
    ge_neutral(r);
    for (i = ia > ib ? ia : ib; i >= 0; i--) {
        ge_dbl(r, r, na[i] != 0 || nb[i] != 0);
        if (na[i] > 0)
            ge_add(r, r, &ta[na[i] / 2]);
        else if (na[i] < 0)
            ge_sub(r, r, &ta[-na[i] / 2]);
        if (nb[i] > 0)
            ge_add(r, r, &tb[nb[i] / 2]);
        else if (nb[i] < 0)
            ge_sub(r, r, &tb[-nb[i] / 2]);
    }
}

/* --- scalars mod L --- */

/* r[0..na+nb) = a[0..na) * b[0..nb) */
static void
mp_mul(uint64_t *r, const uint64_t *a, int na, const uint64_t *b, int nb)
{
    u128 t;
    uint64_t carry;
    int i, j;

    for (i = 0; i < na + nb; i++)
        r[i] = 0;
    for (i = 0; i < na; i++) {
        carry = 0;
        for (j = 0; j < nb; j++) {
            t = (u128)a[i] * b[j] + r[i + j] + carry;
            r[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        r[i + nb] = carry;
    }
}

/* r = r - L if that does not go negative (r < 2^320), by masks. */
static void
sc_condsub(uint64_t r[5])
{
    uint64_t t[5], borrow = 0, mask;
    u128 d;
    int i;

    for (i = 0; i < 5; i++) {
        d = (u128)r[i] - sc_l[i] - borrow;
        t[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    mask = borrow - 1; /* all ones when there was no borrow */
    for (i = 0; i < 5; i++)
        r[i] = (t[i] & mask) | (r[i] & ~mask);
}

/* r = x mod L for x < 2^512 (HAC 14.42 with base 2^64, k = 4), constant
 * time: q = floor(floor(x / 2^192) mu / 2^320) is at most 2 below
 * floor(x / L), so x - qL (computed mod 2^320) is below 3L. */
static void
sc_reduce(uint64_t r[4], const uint64_t x[8])
{
    uint64_t q[10], ql[9], t[5], borrow = 0;
    u128 d;
    int i;

    mp_mul(q, x + 3, 5, sc_mu, 5);
    mp_mul(ql, q + 5, 5, sc_l, 4);
    for (i = 0; i < 5; i++) {
        d = (u128)x[i] - ql[i] - borrow;
        t[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    sc_condsub(t);
    sc_condsub(t);
    for (i = 0; i < 4; i++)
        r[i] = t[i];
    explicit_bzero(q, sizeof q);
    explicit_bzero(ql, sizeof ql);
    explicit_bzero(t, sizeof t);
}

static void
sc_load(uint64_t *r, const unsigned char *s, int nlimbs)
{
    int i;

    for (i = 0; i < nlimbs; i++)
        r[i] = 0;
    for (i = 0; i < 8 * nlimbs; i++)
        r[i / 8] |= (uint64_t)s[i] << (8 * (i % 8));
}

static void
sc_store(unsigned char s[32], const uint64_t a[4])
{
    int i;

    for (i = 0; i < 32; i++)
        s[i] = (unsigned char)(a[i / 8] >> (8 * (i % 8)));
}

/* A SHA-512 digest as a little-endian integer, mod L. */
static void
sc_from_digest(uint64_t r[4], const unsigned char h[64])
{
    uint64_t x[8];

    sc_load(x, h, 8);
    sc_reduce(r, x);
    explicit_bzero(x, sizeof x);
}

/* r = (a b + c) mod L, for a, c < 2^253 and b < 2^255 (so below 2^512). */
static void
sc_muladd(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
    const uint64_t c[4])
{
    uint64_t x[8];
    u128 t;
    uint64_t carry = 0;
    int i;

    mp_mul(x, a, 4, b, 4);
    for (i = 0; i < 8; i++) {
        t = (u128)x[i] + (i < 4 ? c[i] : 0) + carry;
        x[i] = (uint64_t)t;
        carry = (uint64_t)(t >> 64);
    }
    sc_reduce(r, x);
    explicit_bzero(x, sizeof x);
}

/* 1 if the 32 bytes of s are an integer below L (RFC 8032 5.1.7). */
static int
sc_canonical(const unsigned char s[32])
{
    uint64_t a[4];
    int i;

    sc_load(a, s, 4);
    for (i = 3; i >= 0; i--) {
        if (a[i] != sc_l[i])
            return a[i] < sc_l[i];
    }
    return 0; /* S = L */
}

/* --- Ed25519 --- */

/* The secret scalar a of RFC 8032 5.1.5: the first half of SHA-512(seed)
 * with bits 0..2 and 255 cleared and bit 254 set; h keeps the whole
 * digest (the second half is the nonce prefix). */
static void
expand_seed(unsigned char h[64], uint64_t a[4], const unsigned char seed[32])
{
    br_sha512_context hc;

    br_sha512_init(&hc);
    br_sha512_update(&hc, seed, 32);
    br_sha512_out(&hc, h);
    explicit_bzero(&hc, sizeof hc);
    h[0] &= 248;
    h[31] &= 127;
    h[31] |= 64;
    sc_load(a, h, 4);
}

void
ed25519_public(unsigned char pub[32], const unsigned char seed[32])
{
    unsigned char h[64];
    uint64_t a[4];
    struct ge p;

    expand_seed(h, a, seed);
    ge_scalarmult_base(&p, a);
    ge_tobytes(pub, &p);
    explicit_bzero(h, sizeof h);
    explicit_bzero(a, sizeof a);
    explicit_bzero(&p, sizeof p);
}

void
ed25519_sign(unsigned char sig[64], const void *msg, size_t len,
    const unsigned char seed[32], const unsigned char pub[32])
{
    br_sha512_context hc;
    unsigned char h[64], d[64], out[64];
    uint64_t a[4], r[4], k[4], s[4];
    struct ge p;

    expand_seed(h, a, seed);

    /* r = SHA-512(prefix || M) mod L, the nonce; R = [r]B. */
    br_sha512_init(&hc);
    br_sha512_update(&hc, h + 32, 32);
    br_sha512_update(&hc, msg, len);
    br_sha512_out(&hc, d);
    sc_from_digest(r, d);
    ge_scalarmult_base(&p, r);
    ge_tobytes(out, &p);

    /* k = SHA-512(R || A || M) mod L; S = (r + k a) mod L. */
    br_sha512_init(&hc);
    br_sha512_update(&hc, out, 32);
    br_sha512_update(&hc, pub, 32);
    br_sha512_update(&hc, msg, len);
    br_sha512_out(&hc, d);
    sc_from_digest(k, d);
    sc_muladd(s, k, a, r);
    sc_store(out + 32, s);
    memcpy(sig, out, 64);

    explicit_bzero(&hc, sizeof hc);
    explicit_bzero(h, sizeof h);
    explicit_bzero(d, sizeof d);
    explicit_bzero(out, sizeof out);
    explicit_bzero(a, sizeof a);
    explicit_bzero(r, sizeof r);
    explicit_bzero(s, sizeof s);
    explicit_bzero(&p, sizeof p);
}

int
ed25519_verify(const unsigned char sig[64], const void *msg, size_t len,
    const unsigned char pub[32])
{
    br_sha512_context hc;
    unsigned char d[64], rchk[32];
    uint64_t k[4], s[4];
    struct ge a, p;

    if (!sc_canonical(sig + 32))
        return 0;
    if (ge_frombytes_vartime(&a, pub) == -1)
        return 0;
    /* -A, so that one pass computes [S]B - [k]A. */
    fe_neg(a.x, a.x);
    fe_neg(a.t, a.t);

    br_sha512_init(&hc);
    br_sha512_update(&hc, sig, 32);
    br_sha512_update(&hc, pub, 32);
    br_sha512_update(&hc, msg, len);
    br_sha512_out(&hc, d);
    sc_from_digest(k, d);
    sc_load(s, sig + 32, 4);

    /* Cofactorless: [S]B - [k]A must encode to R's bytes exactly. */
    ge_double_scalarmult_vartime(&p, k, &a, s);
    ge_tobytes(rchk, &p);
    return memcmp(rchk, sig, 32) == 0;
}
