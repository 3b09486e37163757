"""The stuck-order workbench (异常/超时订单, ``/orders``): what its page shows and sends, kept
apart from the page module so each part can be read and tested alone."""
