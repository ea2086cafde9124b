{
  "targets": [
    {
      "target_name": "saegim_maxsim",
      "sources": ["maxsim-addon.c", "maxsim-kernel.c"],
      "cflags_c": ["-std=gnu11", "-O3", "-Wall", "-Werror=implicit-function-declaration"],
      "xcode_settings": { "OTHER_CFLAGS": ["-std=gnu11", "-O3"] },
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
