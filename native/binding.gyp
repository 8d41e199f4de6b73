# The project's batch-native Kafka addon (issue 15): built by `npm ci` through the root
# package's install script (native/build.mjs) with npm's bundled node-gyp, against the
# librdkafka that node-rdkafka built (same library, same version, no second copy).
{
  "variables": {
    "rdkafka_deps": "<!(node -p \"require('path').join(require('path').dirname(require.resolve('node-rdkafka/package.json')), 'build', 'deps')\")"
  },
  "targets": [
    {
      "target_name": "tickstream_native",
      "sources": ["src/common.cc", "src/consumer.cc", "src/consumer_workers.cc", "src/producer.cc", "src/producer_threads.cc", "src/addon.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<(rdkafka_deps)/include"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-ignored-qualifiers"],
      "libraries": [
        "-L<(rdkafka_deps)",
        "-lrdkafka",
        # Found next to this addon in the usual layout (native/build/Release ->
        # node_modules/node-rdkafka/build/deps), else where it was at build time.
        "-Wl,-rpath,'$$ORIGIN/../../../node_modules/node-rdkafka/build/deps'",
        "-Wl,-rpath,<(rdkafka_deps)"
      ]
    }
  ]
}
