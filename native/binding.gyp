# The native backend, built by scripts/build-native.mjs (npm install / npm run build:native).
# Each instruction set's kernels are a static library compiled with its own flags; dispatch.cc
# chooses among them at load with __builtin_cpu_supports. Nothing is built with -march=native, so
# the binary runs on any CPU of its architecture.
{
  'target_defaults': {
    'defines': ['NAPI_VERSION=8'],
    # -fno-math-errno: sqrt never sets errno, so its loops vectorize. -fno-trapping-math: floating-point
    # ops raise no traps we read, so a loop with a select (exp's clamps, sigmoid's two forms, leaky relu)
    # becomes a blend and vectorizes. Neither changes a result: IEEE values, NaN included, are the same.
    'cflags_cc': ['-std=c++17', '-O3', '-fno-math-errno', '-fno-trapping-math', '-fPIC', '-pthread', '-fvisibility=hidden'],
    # node-gyp's defaults turn off exceptions (the thread pool catches a failed thread start) and
    # keep frame pointers (one register less in the GEMM micro-kernels).
    'cflags_cc!': ['-std=gnu++17', '-std=gnu++14', '-std=c++14', '-O2', '-fno-exceptions'],
    'cflags!': ['-O2', '-fno-omit-frame-pointer'],
    'ldflags': ['-pthread'],
    'xcode_settings': {
      'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
      'GCC_OPTIMIZATION_LEVEL': '3',
      'GCC_ENABLE_CPP_EXCEPTIONS': 'YES',
      'MACOSX_DEPLOYMENT_TARGET': '11.0',
    },
  },
  'targets': [
    {
      'target_name': 'neurona',
      'sources': [
        'addon.cc',
        'addon_arrays.cc',
        'addon_images.cc',
        'kernels/dispatch.cc',
        'kernels/thread_pool.cc',
        'kernels/layout.cc',
        'kernels/isa_portable.cc',
      ],
      'conditions': [
        ['target_arch=="x64"', {
          'dependencies': ['neurona_avx2', 'neurona_avx512'],
        }],
      ],
    },
  ],
  'conditions': [
    ['target_arch=="x64"', {
      'targets': [
        {
          'target_name': 'neurona_avx2',
          'type': 'static_library',
          'sources': ['kernels/isa_avx2.cc'],
          'cflags_cc': ['-mavx2', '-mfma'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx2', '-mfma'] },
        },
        {
          'target_name': 'neurona_avx512',
          'type': 'static_library',
          'sources': ['kernels/isa_avx512.cc'],
          'cflags_cc': ['-mavx512f', '-mavx2', '-mfma'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx512f', '-mavx2', '-mfma'] },
        },
      ],
    }],
  ],
}
