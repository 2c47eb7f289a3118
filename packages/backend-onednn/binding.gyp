{
  "variables": {
    "onednn_include%": "<!(node scripts/onednn-dirs.cjs include)",
    "onednn_lib%": "<!(node scripts/onednn-dirs.cjs lib)"
  },
  "targets": [
    {
      "target_name": "onednn_binding",
      "sources": [
        "src/native/binding.cc",
        "src/native/conv.cc",
        "src/native/pool.cc",
        "src/native/matmul.cc",
        "src/native/eltwise.cc",
        "src/native/optim.cc",
        "src/native/batchnorm.cc",
        "src/native/winograd.cc",
        "src/native/gelu.cc",
        "src/native/precision.cc",
        "src/native/graph.cc",
        "src/native/graph_parse.cc",
        "src/native/graph_memory.cc",
        "src/native/graph_tune.cc",
        "src/native/graph_steps.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-O2"],
      "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=off", "-fexceptions", "-fvisibility=hidden"],
      "libraries": ["-ldnnl"],
      "conditions": [
        ["onednn_include!=''", {
          "include_dirs": ["<(onednn_include)"],
          "libraries": ["-L<(onednn_lib)", "-Wl,-rpath,<(onednn_lib)"]
        }],
        ["OS=='linux'", {
          "cflags_cc": ["-fopenmp"],
          "libraries": ["-fopenmp"]
        }],
        ["OS=='mac'", {
          "include_dirs": ["/opt/homebrew/include", "/usr/local/include"],
          "libraries": ["-L/opt/homebrew/lib", "-L/usr/local/lib"],
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-Xpreprocessor", "-fopenmp"]
          }
        }]
      ]
    }
  ]
}
