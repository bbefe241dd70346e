/* darknet's stb_image_write, encoding to memory (see stb_write.c). */
#ifndef DARKNET_NAPI_ENCODE_STB_WRITE_H
#define DARKNET_NAPI_ENCODE_STB_WRITE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void dn_stbi_write_func(void *context, void *data, int size);

/* stbi_write_jpg_to_func / stbi_write_png_to_func: 1 on success. */
int dn_stbi_write_jpg_to_func(dn_stbi_write_func *func, void *context, int w, int h, int comp, const void *data,
                              int quality);
int dn_stbi_write_png_to_func(dn_stbi_write_func *func, void *context, int w, int h, int comp, const void *data,
                              int stride_in_bytes);

#ifdef __cplusplus
}
#endif

#endif
